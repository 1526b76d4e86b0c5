"""DROP exact match and F1 as an `evaluate` metric; the scoring is `decomp.metrics` (official semantics)."""

import datasets
import evaluate

from decomp.metrics import mean_em_f1

_CITATION = """@inproceedings{Dua2019DROP,
  title={{DROP}: A Reading Comprehension Benchmark Requiring Discrete Reasoning Over Paragraphs},
  author={Dua, Dheeru and Wang, Yizhong and Dasigi, Pradeep and Stanovsky, Gabriel and Singh, Sameer
          and Gardner, Matt},
  booktitle={NAACL}, year={2019}}"""

_DESCRIPTION = """Exact match and F1 of DROP answers, identical to the official evaluation
(allennlp-models `rc/tools/drop.py`): numbers compared as floats, multi-span answers aligned one to one,
per-question F1 rounded to 2 decimals, best score over the gold alternatives."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: one answer per question, a string or a list of span strings.
    references: one list of gold alternatives per question (the answer and the validated answers),
        each a string or a list of span strings; within a call use one form for all questions.
Returns:
    em: mean exact match, in percent.
    f1: mean F1, in percent.
Examples:
    >>> drop = evaluate.load(decomp.metrics.evaluate_module_path("drop"))
    >>> drop.compute(predictions=[["78"]], references=[[["78.0"], ["78 yards"]]])
    {'em': 100.0, 'f1': 100.0}
"""

_STRING = datasets.Value("string")
_SPANS = datasets.Sequence(_STRING)


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Drop(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=[datasets.Features({"predictions": prediction, "references": datasets.Sequence(gold)})
                      for prediction in (_SPANS, _STRING) for gold in (_SPANS, _STRING)],
        )

    def _compute(self, predictions: list, references: list) -> dict[str, float]:
        return mean_em_f1(predictions, references, "drop")
