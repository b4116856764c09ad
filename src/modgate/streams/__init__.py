"""Live streams: video moderated as it is broadcast (HLS, RTMP, RTSP, SRT), as a stream of
events rather than a finished file. See ``docs/streams.md``."""
