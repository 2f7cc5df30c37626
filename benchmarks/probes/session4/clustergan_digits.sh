#!/usr/bin/env bash
# ClusterGAN on digits, seed 0, one setting per line (session 4; SEEDS=0,1,2 for the 3-seed rows)
cd "$(dirname "$0")/../../.."
for P in '{"lr": 0.001, "max_epochs": "auto"}' '{"lr": 0.001, "max_epochs": "auto", "batch_size": 256}' '{"lr": 0.001, "max_epochs": "auto", "gan_loss": "standard"}' '{"lr": 0.0005, "max_epochs": "auto", "n_critic": 2}' '{"lr": 0.001, "max_epochs": "auto", "latent_dim": 10}' '{"lr": 0.002, "max_epochs": "auto", "batch_size": 256}' \
         '{"lr": 0.0005, "max_epochs": "auto", "n_critic": 1}' '{"lr": 0.001, "max_epochs": "auto", "n_critic": 2}' \
         '{"lr": 0.0003, "max_epochs": "auto", "n_critic": 2}' '{"lr": 0.0003, "max_epochs": "auto", "n_critic": 1}' \
         '{"lr": 0.001, "max_epochs": 572}' '{"lr": 0.001, "max_epochs": "auto", "beta_c": 20.0}' \
         '{"lr": 0.001, "max_epochs": 1143, "batch_size": 256}'; do
  echo "PARAMS $P"
  .venv/bin/python benchmarks/deep.py images --dataset digits --methods clustergan --seeds ${SEEDS:-0} --device cpu --params "{\"clustergan\": $P}" 2>&1 | grep '"acc"' | cut -c1-200
done
