"""A rule baseline decomposer: spaCy Matcher patterns pick a question family, a builder writes QDMR steps.

The pipeline is `en_core_web_sm` when it is installed, else `spacy.blank("en")`: the patterns only use the
tokens' lower-case forms, so both give the same decompositions. A question no family fits becomes one
`select` step holding the question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from decomp.qdmr.steps import Step, references_of, validate_references

FULL_PIPELINE = "en_core_web_sm"
_WH = r"(?:who|what|which|where|when|whom|whose)"
_COPULA = r"(?:is|was|are|were|did|does|do|has|had|have)"
_AUX = ("are", "were", "is", "was", "do", "does", "did", "can", "could", "has", "have", "had", "will", "would")
_SUPERLATIVES = ("longest", "shortest", "first", "last", "most", "least", "highest", "lowest", "largest",
                 "smallest", "biggest", "oldest", "youngest", "earliest", "latest", "fewest")
_MORE = ("more", "fewer", "less", "longer", "shorter", "larger", "smaller", "bigger", "higher", "lower",
         "older", "younger", "later", "earlier")

# Family name -> Matcher patterns. Families are tried in this order; a builder may decline (return None).
PATTERNS: dict[str, list[list[dict]]] = {
    "difference": [
        [{"LOWER": "how"}, {"LOWER": "many"}, {"OP": "?"}, {"LOWER": {"IN": list(_MORE)}}],
        [{"LOWER": "how"}, {"LOWER": "many"}, {"LOWER": {"IN": ["years", "days", "months", "weeks"]}},
         {"OP": "*"}, {"LOWER": "between"}],
    ],
    "comparison": [[{"ORTH": ","}, {"OP": "+"}, {"LOWER": "or"}, {"OP": "+"}]],
    "boolean": [[{"IS_SENT_START": True, "LOWER": {"IN": list(_AUX)}}]],
    "count": [[{"LOWER": "how"}, {"LOWER": "many"}]],
    "superlative": [[{"LOWER": "the"}, {"LOWER": {"IN": list(_SUPERLATIVES)}}]],
    "bridge": [[{"LOWER": "the"}, {"IS_ALPHA": True, "OP": "{1,3}"}, {"LOWER": "of"}],
               [{"IS_ALPHA": True}, {"ORTH": "'s"}]],
}
FAMILIES = tuple(PATTERNS)

if not Doc.has_extension("qdmr_families"):
    Doc.set_extension("qdmr_families", default=())


@Language.factory("qdmr_rules")
def _qdmr_rules(nlp: Language, name: str) -> Callable[[Doc], Doc]:
    matcher = Matcher(nlp.vocab)
    for family, patterns in PATTERNS.items():
        matcher.add(family, patterns)

    def component(doc: Doc) -> Doc:
        found = {nlp.vocab.strings[match_id] for match_id, _, _ in matcher(doc)}
        doc._.qdmr_families = tuple(f for f in FAMILIES if f in found)
        return doc

    return component


def build_pipeline(model: str = FULL_PIPELINE) -> Language:
    """The named spaCy pipeline when installed (tagger etc. unused by the rules), else a blank English one."""
    try:
        nlp = spacy.load(model, exclude=["ner", "parser", "lemmatizer"])
    except OSError:
        nlp = spacy.blank("en")
    nlp.add_pipe("qdmr_rules")
    return nlp


def question_text(question: str) -> str:
    """The question as one step text: no final "?", and a literal `#3` read as "number 3", not a reference."""
    text = re.sub(r"#(?=\d)", "number ", question)
    return re.sub(r"\s+", " ", text).strip().rstrip("?. ").strip()


def _steps(*pairs: tuple[str, str]) -> tuple[Step, ...]:
    return tuple(Step(t, o, references_of(t)) for o, t in pairs)


def _difference(q: str) -> tuple[Step, ...] | None:
    between = re.match(r"how many (years|days|months|weeks) (?:\w+ )*?between (.+?) and (.+)$", q, re.I)
    if between:
        unit, a, b = between.groups()
        return _steps(("select", f"when {a}"), ("select", f"when {b}"),
                      ("arithmetic", f"the difference in {unit.lower()} of #2 and #1"))
    m = re.match(rf"how many (?:(\w+) )?({'|'.join(_MORE)}) (.+?) than (.+)$", q, re.I)
    if not m:
        return None
    unit, _, left, right = m.groups()
    prefix = f"{unit} of " if unit else "number of "
    left = re.sub(rf"^{_COPULA} ", "", left, flags=re.I)
    # "people lived in Tunis than Sfax": the short right side replaces what follows the last preposition.
    tail = re.match(r"(.* (?:in|at|by|for|of|on|from|to) ).+$", left)
    if tail and len(right.split()) <= 3:
        right = tail.group(1) + right
    return _steps(("select", f"{prefix}{left}"), ("select", f"{prefix}{right}"),
                  ("arithmetic", "the difference of #1 and #2"))


def _comparison(q: str) -> tuple[Step, ...] | None:
    m = re.match(r"(.+?), (?:between )?(.+?) or (.+)$", q, re.I)
    if not m:
        return None
    head, a, b = m.groups()
    born = re.match(rf"{_WH} (?:was|were) born (first|earlier|later|last)$", head, re.I)
    if born:
        order = "lowest" if born.group(1).lower() in ("first", "earlier") else "highest"
        return _steps(("select", f"when {a} was born"), ("select", f"when {b} was born"),
                      ("comparison", f"which is {order} of #1 , #2"))
    rest = re.sub(rf"^(?:{_WH}(?: \w+)?? (?={_COPULA}\b|\w+ed\b|\w+s\b)|{_WH} )", "", head, flags=re.I)
    return _steps(("boolean", f"if {a} {rest}"), ("boolean", f"if {b} {rest}"),
                  ("comparison", "which is true of #1 , #2"))


def _boolean(q: str) -> tuple[Step, ...]:
    both = re.match(r"(are|were) (.+?) and (.+?) both (.+)$", q, re.I)
    if both:
        verb = "is" if both.group(1).lower() == "are" else "was"
        a, b, what = both.group(2), both.group(3), both.group(4)
        return _steps(("boolean", f"if {a} {verb} {what}"), ("boolean", f"if {b} {verb} {what}"),
                      ("boolean", "if both #1 and #2 are true"))
    return _steps(("boolean", "if " + q.split(" ", 1)[-1]))


def _count(q: str) -> tuple[Step, ...] | None:
    m = re.match(r"how many (.+)$", q, re.I)
    return _steps(("select", m.group(1)), ("aggregate", "number of #1")) if m else None


def _superlative(q: str) -> tuple[Step, ...] | None:
    m = re.match(rf"(.*?)\bthe ({'|'.join(_SUPERLATIVES)}) (.+)$", q, re.I)
    if not m:
        return None
    prefix, word, noun = m.group(1).strip(), m.group(2), m.group(3)
    steps = [("select", noun), ("aggregate", f"the {word.lower()} of #1")]
    if prefix and not re.fullmatch(rf"{_WH} {_COPULA}", prefix, re.I):
        steps.append(("project", f"{prefix} #2"))
    return _steps(*steps)


def _bridge(q: str) -> tuple[Step, ...] | None:
    of = re.match(r"(.*?)\b(the (?:[\w-]+ ){0,2}[\w-]+) of ((?:the )?.+)$", q, re.I)
    if of:
        prefix, relation, inner = of.group(1).strip(), of.group(2), of.group(3)
        steps = [("select", inner), ("project", f"{relation} of #1")]
    else:
        poss = re.match(r"(.*?)\b([A-Z][\w-]*(?: [A-Z][\w-]*)*) 's ([\w-]+)(.*)$", q)
        if not poss:
            return None
        prefix, owner, relation, tail = poss.group(1).strip(), poss.group(2), poss.group(3), poss.group(4)
        steps = [("select", owner), ("project", f"the {relation} of #1")]
        if tail.strip():
            prefix = f"{prefix} #2 {tail.strip()}".strip()
    if prefix and not re.fullmatch(rf"{_WH} {_COPULA}", prefix, re.I):
        steps.append(("project", prefix if "#2" in prefix else f"{prefix} #2"))
    return _steps(*steps)


_BUILDERS: dict[str, Callable[[str], tuple[Step, ...] | None]] = {
    "difference": _difference, "comparison": _comparison, "boolean": _boolean, "count": _count,
    "superlative": _superlative, "bridge": _bridge,
}


class RuleDecomposer:
    """Question -> QDMR steps by pattern families; every output has valid `#k` references."""

    name = "rules"

    def __init__(self, model: str = FULL_PIPELINE) -> None:
        self.nlp = build_pipeline(model)

    def family(self, question: str) -> str:
        """The family that decomposes `question` ("select" for the single-step fallback)."""
        return self._decompose(question)[0]

    def _decompose(self, question: str) -> tuple[str, tuple[Step, ...]]:
        text = question_text(question)
        # spaCy splits "Leviathan's" into "Leviathan" + "'s"; the builders see the same separation.
        text = re.sub(r"(\w)'s\b", r"\1 's", text)
        for family in self.nlp(text)._.qdmr_families:
            steps = _BUILDERS[family](text)
            if steps:
                validate_references([s.text for s in steps])
                return family, steps
        return "select", _steps(("select", text))

    def decompose(self, questions: Sequence[str]) -> list[tuple[Step, ...]]:
        return [self._decompose(q)[1] for q in questions]
