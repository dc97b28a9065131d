# Sourced by the bench scripts: what machine they ran on, for their reports.
# Sets MACHINE_CPU (the CPU's model name) and MACHINE_VIRT (the
# virtualization, "VM: ...; container: ...").
MACHINE_CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
machine_vm=$(systemd-detect-virt --vm 2>/dev/null || true)
[ -n "$machine_vm" ] && [ "$machine_vm" != none ] || machine_vm=$(lscpu 2>/dev/null | awk -F': *' '/Hypervisor vendor/ {print $2}')
[ -n "$machine_vm" ] || { grep -qw hypervisor /proc/cpuinfo && machine_vm="a hypervisor (vendor not reported)" || machine_vm="none detected"; }
machine_container=$(systemd-detect-virt --container 2>/dev/null || true)
MACHINE_VIRT="VM: $machine_vm; container: ${machine_container:-none detected}"
