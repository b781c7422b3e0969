//! Renderers: Mermaid, Graphviz dot, JSON.
