from decomp.data.cache import cached_examples, examples_fingerprint
from decomp.data.schema import Answer, Example, Paragraph
from decomp.qdmr.steps import Step


def _examples() -> list[Example]:
    return [Example(id=f"e{i}", source="drop", question="q", context=(Paragraph("", "p"),),
                    answers=(Answer(spans=("p",)),),
                    decomposition=(Step("p", "select"),) if i % 2 else (), group="g")
            for i in range(4)]


def test_cache_round_trip_and_reuse(tmp_path):
    calls = []

    def build():
        calls.append(1)
        return _examples()

    first = cached_examples("toy", {"n": 4}, build, cache_dir=tmp_path)
    second = cached_examples("toy", {"n": 4}, build, cache_dir=tmp_path)
    assert first == second == _examples() and len(calls) == 1
    cached_examples("toy", {"n": 5}, build, cache_dir=tmp_path)
    assert len(calls) == 2  # a different key is a different entry
    assert not list(tmp_path.glob("*.tmp*"))


def test_fingerprint_changes_with_content():
    a = _examples()
    assert examples_fingerprint(a) == examples_fingerprint(_examples())
    assert examples_fingerprint(a) != examples_fingerprint(a[:3])
