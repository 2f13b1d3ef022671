"""The synthetic benchmark workload."""

from longsum.benchmarks.workloads import synthetic_documents

WORDS = ["cells", "genes", "were", "expressed", "in", "the", "mouse", "liver", "after", "treatment", "with", "drug"]


def test_synthetic_documents_are_seeded_and_pubmed_like():
    docs = synthetic_documents(200, 3, WORDS)
    again = synthetic_documents(200, 3, WORDS)
    assert docs == again
    assert synthetic_documents(5, 4, WORDS) != docs[:5]
    lengths = [len(d.text.split()) for d in docs]
    assert min(lengths) >= 800 and max(lengths) <= 16000
    assert 3000 < sorted(lengths)[100] < 4600  # median near 3,800 words
    assert all(d.reference and d.id == f"synthetic-{d.index}" for d in docs)
