"""This host, below everything else: its cores and their share among phys processes, its CPU's bf16, its
processes (alive, started when). Torch-free, imported by the science and by the core alike."""
