"""`prior`: the answer a question's form predicts, without reading: the baseline a reader must beat.

For each question it predicts the most frequent answer among the training-subset questions that share its
final QDMR operator and its question opening ("how many", "which", "who", "is/was/did", ...), backing off
to the final operator alone, then to the most frequent answer overall. A question that offers a two-way
choice ("Who is younger, Ulrich Walter or Luca Parmitano?", version 2; more forms of it in version 3, see
`choice`) is answered with the option in the position, first or second, that the training questions
offering a choice most often have as their answer:
a choice a reader gets right half the time by chance is no evidence of reading. It looks only at what a
reader sees at test time (the question text and its decomposition), never at the evaluation question's
answer or answer type. Ties go to the alphabetically first answer (the first option), so the prediction
does not depend on order. With no training questions (size 0) it answers the empty string.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.metrics.scoring import score
from decomp.strategies.base import Strategy, register
from decomp.types import Prediction, ReaderInput, join_spans

# Longest first: "how many" before "how". The yes/no auxiliaries share one opening.
_OPENINGS = ("how many", "how much", "how long", "how old", "how far", "which", "who", "whom", "whose", "what",
             "when", "where", "why", "how")
_YES_NO = ("is", "was", "are", "were", "did", "does", "do", "can", "could", "will", "would", "has", "have", "had",
           "should")


def opening(question: str) -> str:
    """The question's opening: one of the wh-forms, "is/was/did" for yes/no questions, else "other"."""
    text = " ".join(re.findall(r"[a-z']+", question.lower()))
    for form in _OPENINGS:
        if text == form or text.startswith(form + " "):
            return form
    first = text.split(" ", 1)[0] if text else ""
    return "is/was/did" if first in _YES_NO else "other"


_NAME = r"[A-Z0-9][\w.'&-]*(?:\s+(?:of|the|de|and|van|von|du|la)?\s*[A-Z0-9][\w.'&-]*)*"  # "Battle of Vienna"
_CAPITALISED = re.compile(rf"\b{_NAME}$")
_LEADING_NAME = re.compile(rf"^(?:(?:the|a|an)\s+)?{_NAME}")
MAX_OPTION_WORDS = 12
_ASKS_A_NUMBER = ("how many", "how much", "how long", "how old", "how far")
# Words that open both options of a parallel choice: "in the first quarter or the second quarter".
_PARALLEL_OPENERS = frozenset(("the", "a", "an", "in", "on", "at", "between", "from", "during", "by", "for", "to"))
# After mid-question options a clause goes on: "Which musician, A or B, is a member of Fuel?"
_CLAUSE_AFTER = re.compile(r",\s+(?=(?:" + "|".join(_YES_NO) + r")\b)", re.IGNORECASE)
_CUT = re.compile(r"[,:](?!\d)|(?<!\d),")  # a comma or colon, not the thousands comma of "3,826"


def _last_cut(text: str) -> int:
    cuts = [m.start() for m in _CUT.finditer(text)]
    return cuts[-1] if cuts else -1


def _last_word(text: str, word: str) -> int:
    found = [m.start() for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.IGNORECASE)]
    return found[-1] if found else -1


def choice(question: str) -> tuple[str, str] | None:
    """The two options of a question that offers a choice, "..., A or B?", else None (version 3).

    A is what follows the last comma or colon before " or " ("Which happened first, the invasion of Burma, or a
    truce?"); without one, the words from the last use of the word B opens with, when that is an article or a
    preposition ("Were there more touchdowns in the first half or the second half?"); else the capitalised
    words just before " or " ("who is younger Ulrich Walter or Luca Parmitano?"). B runs to the question's end,
    except where the options stand mid-question: before a clause after a comma ("Which musician, A or B, is a
    member of Fuel?") and in a yes/no question, where B matches A's form ("Did France or the Ottoman Empire send
    more galleys?"). A question asking for a number ("How many touchdowns were 30 yards or longer?") offers
    no choice unless a colon introduces its options."""
    form = opening(question)
    text = question.strip().rstrip("?!./ ").strip()
    at = text.lower().rfind(" or ")
    if at < 0:
        return None
    left, right = text[:at].rstrip(" ,"), text[at + 4:].strip(" ,")
    if form in _ASKS_A_NUMBER and ":" not in left:  # "How many from the census is fewer: Germans or English?"
        return None
    mid = form == "is/was/did"  # "Did A or B win?": the verb follows the options
    opener = right.split(" ", 1)[0].lower() if right else ""
    cut = _last_cut(left)
    if cut >= 0:
        first = left[cut + 1:].strip()
        right = _CLAUSE_AFTER.split(right, 1)[0].strip()
    elif opener in _PARALLEL_OPENERS and _last_word(left, opener) >= 0:
        first = left[_last_word(left, opener):].strip()
        if mid:
            right = " ".join(right.split()[:len(first.split())])
    else:
        found = _CAPITALISED.search(left)
        first = found.group(0).strip() if found else ""
        head, _, rest = first.partition(" ")
        if first and opening(head) != "other":  # "Did France": the question's first word is not an option
            first = rest.strip()
        if mid and first[:1].isalpha():  # a name, not a number: "Were more people 10 to 19 or 20 to 29?"
            found = _LEADING_NAME.match(right)
            right = found.group(0).strip() if found else ""
    if not first or not right or any(len(o.split()) > MAX_OPTION_WORDS for o in (first, right)):
        return None
    if first.lower() == left.lower().strip():  # the whole question before "or": no option boundary
        return None
    return first, right


def chosen_position(example: Example, options: tuple[str, str]) -> int | None:
    """Which option (0 or 1) the example's gold answer is, by the example's own metric (F1, then EM); None
    when neither overlaps it or both do equally."""
    scores = [score(option, example)[::-1] for option in options]
    if max(scores)[0] <= 0 or scores[0] == scores[1]:
        return None
    return 0 if scores[0] > scores[1] else 1


def final_operator(example: Example) -> str:
    return example.decomposition[-1].operator if example.decomposition else "none"


def _most_frequent(counts: Counter) -> tuple[str, ...]:
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


@register
class Prior(Strategy):
    name = "prior"
    format_version = 3  # 2: two-way choices by the favoured position; 3: no choice in number questions, mid-
    # question and parallel options ("in the first quarter or the second quarter")
    needs_reader = False

    def __init__(self) -> None:
        self.by_form: dict[tuple[str, str], Counter] = {}
        self.by_operator: dict[str, Counter] = {}
        self.overall: Counter = Counter()
        self.positions: Counter = Counter()  # which option (0 first, 1 second) training choices have as answer
        self.fitted = False

    def training_inputs(self, example: Example) -> list[ReaderInput]:
        return []  # nothing for a reader to train on

    def fit(self, train_examples: Sequence[Example]) -> Prior:
        """Count the (primary) answers of the training questions per (final operator, opening)."""
        self.by_form, self.by_operator, self.overall, self.positions, self.fitted = {}, {}, Counter(), Counter(), True
        for e in train_examples:
            if not e.answers or e.answers[0].is_empty():
                continue
            options = choice(e.question)
            position = chosen_position(e, options) if options else None
            if position is not None:
                self.positions[position] += 1
            answer = e.answers[0].texts()
            op = final_operator(e)
            self.by_form.setdefault((op, opening(e.question)), Counter())[answer] += 1
            self.by_operator.setdefault(op, Counter())[answer] += 1
            self.overall[answer] += 1
        return self

    def predict(self, examples: Sequence[Example], answer: Callable | None = None) -> list[Prediction]:
        if not self.fitted:
            raise ConfigError("the prior strategy has not been fitted: call fit(train_examples) first")
        out = []
        for e in examples:
            op, form = final_operator(e), opening(e.question)
            options = choice(e.question)
            if options and self.positions:
                position = 1 if self.positions[1] > self.positions[0] else 0
                text = options[position]
                out.append(Prediction(e.id, text, [{"step": 0, "question": e.question, "answer": text, "by": "prior",
                                                    "key": ["choice", position], "level": "choice",
                                                    "options": list(options)}]))
                continue
            if (op, form) in self.by_form:
                level, spans = "operator+opening", _most_frequent(self.by_form[(op, form)])
            elif op in self.by_operator:
                level, spans = "operator", _most_frequent(self.by_operator[op])
            elif self.overall:
                level, spans = "overall", _most_frequent(self.overall)
            else:  # size 0: no training answer to go by
                level, spans = "empty", ()
            text = join_spans(spans)
            out.append(Prediction(e.id, text, [{"step": 0, "question": e.question, "answer": text, "by": "prior",
                                                "key": [op, form], "level": level}], spans=tuple(spans)))
        return out
