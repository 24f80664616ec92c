"""Demo organisation and the scalable organisation generator."""
