"""Text in and out of a model that has no real tokenizer.

Random weights know no language, so the engine needs no tokenizer: a prompt
becomes its UTF-8 bytes (shifted past three special ids), and each generated
id is rendered as a pronounceable pseudo-word. Both backends share this, so
an answer is a pure function of the prompt ids and the weights.
"""

from __future__ import annotations

from typing import Any, Iterable

SPECIAL_IDS = 3  # 0 = pad, 1 = bos, 2 = eos, as in Llama's vocabulary.
BOS_ID = 1
EOS_ID = 2
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


def encode(text: str, vocab_size: int, max_len: int) -> list[int]:
    ids = [BOS_ID] + [SPECIAL_IDS + byte for byte in text.encode("utf-8")]
    ids = [token % vocab_size for token in ids]
    # Keep the end of an over-long prompt: that is where the question is.
    return ids[-max_len:] if len(ids) > max_len else ids


def word(token_id: int) -> str:
    """A stable pseudo-word for one id: two or three consonant-vowel syllables."""
    n = max(token_id, 0)
    syllables = []
    count = 2 + n % 2
    n //= 2
    for _ in range(count):
        syllables.append(_CONSONANTS[n % len(_CONSONANTS)] + _VOWELS[(n // len(_CONSONANTS)) % len(_VOWELS)])
        n //= len(_CONSONANTS) * len(_VOWELS)
        n += token_id % 7  # so short ids do not all end in the same syllable
    return "".join(syllables)


def render_pieces(ids: Iterable[int]) -> list[str]:
    """One text piece per id; every piece after the first starts with a space."""
    return [word(token) if index == 0 else " " + word(token) for index, token in enumerate(ids)]


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI's content parts
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def chat_prompt(messages: list[dict[str, Any]]) -> str:
    """A fixed chat template, so the same conversation is always the same ids."""
    lines = [f"<|{message.get('role', 'user')}|>\n{_content_text(message.get('content'))}" for message in messages]
    return "\n".join(lines) + "\n<|assistant|>\n"
