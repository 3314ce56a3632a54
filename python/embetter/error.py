"""NotInstalled: what an optional part becomes when its library is missing."""


class NotInstalled:
    """Stands in for a component whose optional dependency is not installed
    (as in the original embetter): using it in any way raises
    ModuleNotFoundError with the pip command that installs the extra.

    Args:
        tool: the component's name, e.g. ``"KerasNLPEncoder"``.
        dep: the extra that brings its dependency, e.g. ``"keras_nlp"``.
    """

    def __init__(self, tool, dep):
        self.tool = tool
        self.dep = dep
        self.msg = f"In order to use {tool} you'll need to install via;\n\npip install embetter[{dep}]\n\n"

    def __getattr__(self, *args, **kwargs):
        raise ModuleNotFoundError(self.msg)

    def __call__(self, *args, **kwargs):
        raise ModuleNotFoundError(self.msg)
