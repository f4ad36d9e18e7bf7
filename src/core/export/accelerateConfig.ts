/**
 * accelerate_config.yaml of the TRL export: `accelerate launch --config_file accelerate_config.yaml
 * train.py` on one machine, one process (one GPU, or the CPU when there is none), full precision.
 * More GPUs: set distributed_type to MULTI_GPU and num_processes to their number (or pass
 * `--multi_gpu --num_processes N`), or regenerate the file with `accelerate config` (the README says so).
 */
export const ACCELERATE_CONFIG = `# accelerate launch --config_file accelerate_config.yaml train.py --stage all
# One machine, one process. For N GPUs on this machine: distributed_type: MULTI_GPU and num_processes: N
# (or add --multi_gpu --num_processes N to the command); for bf16 on recent GPUs: mixed_precision: bf16.
# \`accelerate config --config_file accelerate_config.yaml\` asks the questions and rewrites this file.
compute_environment: LOCAL_MACHINE
distributed_type: 'NO'
num_machines: 1
machine_rank: 0
num_processes: 1
gpu_ids: all
mixed_precision: 'no'
downcast_bf16: 'no'
use_cpu: false
debug: false
rdzv_backend: static
same_network: true
main_training_function: main
tpu_env: []
tpu_use_cluster: false
tpu_use_sudo: false
`;
