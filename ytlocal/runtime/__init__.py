"""The model runtime, below every stage: llama.cpp models that chat (summaries, ``ask``) and that embed
(sentence meaning), loaded once and owned by whoever asked for them (a session, a worker process)."""
