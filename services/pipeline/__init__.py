"""Running the whole pipeline locally: demo and end-to-end orchestration."""
