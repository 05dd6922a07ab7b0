"""Calling a training hook (``npnet_on_*``) so that an installed plugin that raises is named.

Every network of a registry shares its plugins' training hooks: an installed
plugin whose ``npnet_on_epoch_end`` raises would break every ``fit`` of the
process with an error that names no one. :func:`call_hook` calls the
implementations as pluggy does and turns such an exception into an
:class:`~npnet_core.errors.InvalidComponentError` naming the plugin, its
distribution, the hook and the error, and saying how to block the plugin.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ..errors import InvalidComponentError
from ._discovery import ENV_BLOCK
from ._registry import PluginInfo, Registry

__all__ = ["call_hook"]


def _is_wrapper(impl: Any) -> bool:
    return bool(getattr(impl, "hookwrapper", False) or getattr(impl, "wrapper", False))


def call_hook(registry: Registry, hook_name: str, **kwargs: Any) -> List[Any]:
    """Call the hook ``hook_name`` of ``registry``'s plugins with ``kwargs``; return the results that are not None.

    The implementations run in pluggy's order (the last registered first, as
    ``tryfirst``/``trylast`` arrange), each given the arguments it declares,
    as ``registry.plugin_manager.hook.<hook_name>(**kwargs)`` would run them
    (a ``firstresult`` hook stops at the first result, returned in a list).

    An exception (``SystemExit`` too) from an installed plugin's implementation
    (an entry point, or a plugin given to ``register_plugin``) raises
    :class:`InvalidComponentError` naming it, chained to the exception. An
    exception from an object registered on the plugin manager directly
    propagates as it was raised (``fit`` calls its callbacks apart, and lets
    theirs propagate too: the caller wrote that code). ``KeyboardInterrupt`` always
    propagates. When a hook wrapper is among the implementations the hook is
    called through pluggy, which alone runs wrappers, and an error names the
    plugins implementing the hook.
    """
    caller = getattr(registry.plugin_manager.hook, hook_name)
    impls = caller.get_hookimpls()
    first_only = bool(caller.spec is not None and caller.spec.opts.get("firstresult"))
    if any(_is_wrapper(impl) for impl in impls):
        try:
            returned = caller(**kwargs)
            return ([] if returned is None else [returned]) if first_only else list(returned)
        except (Exception, SystemExit) as exc:
            installed = _installed(registry)
            names = [impl.plugin_name for impl in impls if impl.plugin_name in installed]
            if not names:
                raise
            raise InvalidComponentError(
                f"{hook_name} raised {_error(exc)}{_when(kwargs)}; one of the installed plugins implementing it "
                f"({', '.join(repr(n) for n in names)}) may have raised it: block them one at a time with "
                f"{ENV_BLOCK} to find which"
            ) from exc
    results = []
    for impl in reversed(impls):
        missing = [name for name in impl.argnames if name not in kwargs]
        if missing:
            raise TypeError(f"{hook_name} was called without the arguments {missing} its implementations take")
        args = [kwargs[name] for name in impl.argnames]
        try:
            result = impl.function(*args)
        except (Exception, SystemExit) as exc:
            info = _installed(registry).get(impl.plugin_name)
            if info is None:  # registered on the manager by the caller: its exception is the caller's to see
                raise
            raise InvalidComponentError(_message(info, hook_name, exc, kwargs)) from exc
        if result is not None:
            results.append(result)
            if first_only:  # a firstresult hook (npnet_output_gradient) stops at its first answer, in a list here
                break
    return results


def _installed(registry: Registry) -> Dict[str, PluginInfo]:
    return {info.name: info for info in registry.plugins}


def _error(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"SystemExit (it called sys.exit({exc.code!r}))"
    return f"{type(exc).__name__}: {exc}"


def _when(kwargs: Any) -> str:
    epoch = kwargs.get("epoch")
    return f" after epoch {epoch}" if isinstance(epoch, int) else ""


def _message(info: PluginInfo, hook_name: str, exc: BaseException, kwargs: Any) -> str:
    if info.distribution:
        provider = f" ({info.distribution} {info.version})" if info.version else f" ({info.distribution})"
        remedy = f"uninstall it (pip uninstall {info.distribution}) or block it with {ENV_BLOCK}={info.distribution}"
    else:
        provider = ""
        remedy = f"unregister it (registry.unregister_plugin({info.name!r}))"
    return (
        f"plugin {info.name!r}{provider} raised in its {hook_name}{_when(kwargs)}: {_error(exc)}; "
        f"training stopped there. Every fit in this process calls this plugin's hook: {remedy}"
    )
