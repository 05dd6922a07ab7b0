"""``npnet new-plugin``: write a complete plugin distribution, for any kind, that passes the contract suite."""

from ._scaffold import CORE_REQUIREMENT, NewPlugin, PluginNames, new_plugin, plugin_names, render_plugin

__all__ = ["CORE_REQUIREMENT", "NewPlugin", "PluginNames", "new_plugin", "plugin_names", "render_plugin"]
