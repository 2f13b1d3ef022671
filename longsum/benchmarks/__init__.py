"""What a benchmark needs beside the run itself: the synthetic workload, the machine's measured ceilings, the
roofline counts and the bench report's checks. May import ``results`` and every layer below it; ``runs.bench``
times the workload with the evaluation's generate step."""
