"""The experiments themselves: data generators (bioS/bioD, iGSM), the GPT model, training, evaluation,
probes, capacity and quantization. Knows nothing of recipes, runs, ledgers or terminals."""
