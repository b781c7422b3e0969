"""stub"""


def build(ctx):
    pass
