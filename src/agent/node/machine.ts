/**
 * Facts about this machine a Node reports: CPUs, memory, the data dir's disk, kernel and OS,
 * machine and boot IDs, and the address to advertise.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { arch, availableParallelism, networkInterfaces, release } from 'node:os';

export interface MachineInfo {
  readonly cpus: number;
  readonly memoryKi: number;
  readonly ephemeralStorageKi: number;
  readonly kernelVersion: string;
  readonly osImage: string;
  readonly machineID: string;
  readonly bootID: string;
  readonly architecture: string;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

export function machineInfo(dataDir: string): MachineInfo {
  const memKb = /MemTotal:\s+(\d+) kB/.exec(readText('/proc/meminfo'))?.[1];
  let storageKi = 0;
  try {
    const fs = statfsSync(dataDir);
    storageKi = Math.floor((fs.blocks * fs.bsize) / 1024);
  } catch {
    storageKi = 0;
  }
  const osRelease = readText('/etc/os-release');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? 'Linux';
  return {
    cpus: availableParallelism(),
    memoryKi: memKb ? Number(memKb) : 0,
    ephemeralStorageKi: storageKi,
    kernelVersion: release(),
    osImage: pretty,
    machineID: readText('/etc/machine-id'),
    bootID: readText('/proc/sys/kernel/random/boot_id'),
    architecture: ({ x64: 'amd64', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[arch()] ?? arch(),
  };
}

/** The first IPv4 address of a named interface (--flannel-iface); a clear error when it has none. */
export function interfaceIPv4(name: string): string {
  const addresses = networkInterfaces()[name];
  if (!addresses) throw new Error(`--flannel-iface ${name}: no such network interface (ip -br addr lists them)`);
  const v4 = addresses.find((a) => a.family === 'IPv4');
  if (!v4) throw new Error(`--flannel-iface ${name}: the interface has no IPv4 address; give the node address with --node-ip`);
  return v4.address;
}
