"""The WebRTC test stream: stamped synthetic tracks, peers through the fault layer,
and the health sampler that decides degraded and recovered.

Pure modules (no aiortc): :mod:`.stamp` (frame stamps), :mod:`.quality` (MOS, W3C freezes,
``HealthSample``), :mod:`.judge` (``HealthJudge``). With aiortc: :mod:`.tracks`, :mod:`.ice`,
:mod:`.route`, :mod:`.health`, :mod:`.peers` (the supervised pair both targets share),
:mod:`.loopback` (``LoopbackStream``), :mod:`.whip` (``WhipStream``);
:func:`.base.open_stream` opens either target.
The runner's interface is :class:`.base.Stream`. Nothing is imported here, so the pure modules
stay importable without aiortc's start-up cost.
"""
