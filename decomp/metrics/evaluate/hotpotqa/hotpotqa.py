"""HotpotQA answer exact match and F1 as an `evaluate` metric; the scoring is `decomp.metrics`."""

import datasets
import evaluate

from decomp.metrics import mean_em_f1

_CITATION = """@inproceedings{yang2018hotpotqa,
  title={{HotpotQA}: A Dataset for Diverse, Explainable Multi-hop Question Answering},
  author={Yang, Zhilin and Qi, Peng and Zhang, Saizheng and Bengio, Yoshua and Cohen, William W.
          and Salakhutdinov, Ruslan and Manning, Christopher D.},
  booktitle={EMNLP}, year={2018}}"""

_DESCRIPTION = """Exact match and F1 of HotpotQA answers, identical to the official `hotpot_evaluate_v1.py`
(token counts matter; yes/no/noanswer score F1 only when equal). Supporting-fact and joint scores are
`decomp.metrics.hotpot_scores`."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: one answer string per question.
    references: one gold answer string per question.
Returns:
    em: mean exact match, in percent.
    f1: mean F1, in percent.
Examples:
    >>> hotpotqa = evaluate.load(decomp.metrics.evaluate_module_path("hotpotqa"))
    >>> hotpotqa.compute(predictions=["cat cat"], references=["cat"])
    {'em': 0.0, 'f1': 66.66666666666666}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Hotpotqa(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions: list, references: list) -> dict[str, float]:
        return mean_em_f1(predictions, references, "hotpot")
