"""ytlocal: summarize YouTube (and any yt-dlp) videos entirely on your own machine.

yt-dlp fetches the audio, faster-whisper transcribes it on the local CPU or GPU, and a GGUF model run
by llama.cpp writes the summary. After the download, nothing leaves the machine.
"""

__version__ = "0.1.0"
