/**
 * MeshCentral's agent architecture ids, as its server numbers them (`meshAgentsArchitectureNumbers`
 * in meshcentral.js, MeshCentral 1.1.x, Apache-2.0) and as `agents/hashagents.json` keys them,
 * mapped to the platform names manifests use (`os-arch`). Several ids share a platform (builds
 * for different C libraries or boards); their file names tell them apart.
 */
export interface MeshcentralAgent {
  readonly id: number;
  /** The file name in MeshCentral's `agents/` folder. */
  readonly file: string;
  readonly platform: string;
  /** MeshCentral's own description. */
  readonly description: string;
  /** MeshCentral re-signs this Windows agent with its server's code-signing certificate. */
  readonly resignedByServer?: boolean;
}

const AGENTS: readonly MeshcentralAgent[] = [
  {
    id: 3,
    file: 'MeshService.exe',
    platform: 'windows-x86',
    description: 'Windows x86-32 service',
    resignedByServer: true,
  },
  {
    id: 4,
    file: 'MeshService64.exe',
    platform: 'windows-x64',
    description: 'Windows x86-64 service',
    resignedByServer: true,
  },
  { id: 5, file: 'meshagent_x86', platform: 'linux-x86', description: 'Linux x86-32' },
  { id: 6, file: 'meshagent_x86-64', platform: 'linux-x64', description: 'Linux x86-64' },
  { id: 7, file: 'meshagent_mips', platform: 'linux-mips', description: 'Linux MIPS' },
  { id: 9, file: 'meshagent_arm', platform: 'linux-arm', description: 'Linux ARM5' },
  { id: 13, file: 'meshagent_pogo', platform: 'linux-arm', description: 'Linux ARM PogoPlug' },
  { id: 15, file: 'meshagent_poky', platform: 'linux-x86', description: 'Linux Poky x86-32' },
  { id: 16, file: 'meshagent_osx-x86-64', platform: 'macos-x64', description: 'Apple macOS x86-64' },
  { id: 18, file: 'meshagent_poky64', platform: 'linux-x64', description: 'Linux Poky x86-64' },
  { id: 19, file: 'meshagent_x86_nokvm', platform: 'linux-x86', description: 'Linux x86-32 NoKVM' },
  { id: 20, file: 'meshagent_x86-64_nokvm', platform: 'linux-x64', description: 'Linux x86-64 NoKVM' },
  { id: 24, file: 'meshagent_arm-linaro', platform: 'linux-arm', description: 'Linux ARM Linaro' },
  { id: 25, file: 'meshagent_armhf', platform: 'linux-armhf', description: 'Linux ARM HardFloat' },
  {
    id: 26,
    file: 'meshagent_aarch64',
    platform: 'linux-arm64',
    description: 'Linux ARM 64 bit (glibc 2.24)',
  },
  {
    id: 27,
    file: 'meshagent_armhf2',
    platform: 'linux-armhf',
    description: 'Linux ARM HardFloat (Raspbian 7)',
  },
  {
    id: 28,
    file: 'meshagent_mips24kc',
    platform: 'linux-mips',
    description: 'Linux MIPS24KC/MUSL (OpenWRT)',
  },
  { id: 29, file: 'meshagent_osx-arm-64', platform: 'macos-arm64', description: 'Apple macOS ARM-64' },
  { id: 30, file: 'meshagent_freebsd_x86-64', platform: 'freebsd-x64', description: 'FreeBSD x86-64' },
  {
    id: 32,
    file: 'meshagent_aarch64',
    platform: 'linux-arm64',
    description: 'Linux ARM 64 bit (glibc 2.24)',
  },
  { id: 33, file: 'meshagent_openwrt_x86_64', platform: 'linux-x64', description: 'OpenWRT x86-64' },
  {
    id: 35,
    file: 'meshagent_linux-armada370-hf',
    platform: 'linux-armhf',
    description: 'Armada370 ARM32/HF',
  },
  { id: 36, file: 'meshagent_openwrt_x86_64', platform: 'linux-x64', description: 'OpenWRT x86-64' },
  { id: 37, file: 'meshagent_openbsd_x86-64', platform: 'openbsd-x64', description: 'OpenBSD x86-64' },
  {
    id: 40,
    file: 'meshagent_mipsel24kc',
    platform: 'linux-mipsel',
    description: 'Linux MIPSEL24KC (OpenWRT)',
  },
  {
    id: 41,
    file: 'meshagent_aarch64-cortex-a53',
    platform: 'linux-arm64',
    description: 'ARMADA/CORTEX-A53/MUSL (OpenWRT)',
  },
  {
    id: 43,
    file: 'MeshServiceARM64.exe',
    platform: 'windows-arm64',
    description: 'Windows ARM-64 service',
    resignedByServer: true,
  },
  { id: 45, file: 'meshagent_riscv64', platform: 'linux-riscv64', description: 'Linux RISC-V 64' },
  {
    id: 10003,
    file: 'MeshService.exe',
    platform: 'windows-x86',
    description: 'Windows x86-32 service (unsigned)',
  },
  {
    id: 10004,
    file: 'MeshService64.exe',
    platform: 'windows-x64',
    description: 'Windows x86-64 service (unsigned)',
  },
  {
    id: 10005,
    file: 'meshagent_osx-universal-64',
    platform: 'macos-universal',
    description: 'Apple macOS universal binary',
  },
  {
    id: 10006,
    file: 'MeshCentralAssistant.exe',
    platform: 'windows-x86',
    description: 'MeshCentral Assistant for Windows',
  },
  { id: 11000, file: 'MeshCmd.exe', platform: 'windows-x86', description: 'Windows x86-32 meshcmd' },
  { id: 11001, file: 'MeshCmd64.exe', platform: 'windows-x64', description: 'Windows x86-64 meshcmd' },
  { id: 11002, file: 'MeshCmdARM64.exe', platform: 'windows-arm64', description: 'Windows ARM-64 meshcmd' },
];

const BY_ID = new Map(AGENTS.map((a) => [a.id, a]));

export function meshcentralAgent(id: number): MeshcentralAgent | undefined {
  return BY_ID.get(id);
}
