def text(ctx):
    return "stub\n"
