import AMDPKI
import Assembly
import CCAProvider
import Crypto
import EchoProvider
import Foundation
import Glibc
import IntelPKI
import ProviderKit
import SEVProvider
import SNPReport
import SNPSigning
import SigningKeys
import SimulatedPKI
import TDXProvider

/// `tsmfs-bench`: measures tsmfs against floors taken in the same run (these machines are
/// noisy, so only ratios within one run mean anything). See docs/performance.md.
@main
struct Bench {
    struct Options {
        var seconds = 2.0
        var threads = [1, 2, 4, 8]
        var providers = ["echo", "tdx", "sev", "cca"]
        var entries = 10_000
        var json: String?
        /// Alternating rounds of echo, tdx and fuse-floor, and how long each target runs per round.
        var rounds = 15
        var roundSeconds = 0.4
        /// How many turns each target takes per round, the targets alternating turn by turn.
        var turns = 4
        /// Only the in-process costs: no mounts (for profiling generation).
        var generationOnly = false
        /// Only the vendor services' request rate.
        var servicesOnly = false
    }

    static func main() throws {
        var options = Options()
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--seconds": options.seconds = Double(arguments.popFirst() ?? "") ?? options.seconds
            case "--threads": options.threads = (arguments.popFirst() ?? "").split(separator: ",").compactMap { Int($0) }
            case "--providers": options.providers = (arguments.popFirst() ?? "").split(separator: ",").map(String.init)
            case "--entries": options.entries = Int(arguments.popFirst() ?? "") ?? options.entries
            case "--json": options.json = arguments.popFirst()
            case "--rounds": options.rounds = Int(arguments.popFirst() ?? "") ?? options.rounds
            case "--round-seconds": options.roundSeconds = Double(arguments.popFirst() ?? "") ?? options.roundSeconds
            case "--turns": options.turns = max(1, Int(arguments.popFirst() ?? "") ?? options.turns)
            case "--generation-only": options.generationOnly = true
            case "--services-only": options.servicesOnly = true
            default:
                print(
                    """
                    usage: tsmfs-bench [--seconds S] [--threads 1,2,4,8] [--providers echo,tdx,sev,cca] [--entries N]
                                       [--rounds N] [--round-seconds S] [--turns N] [--json FILE]
                                       [--generation-only] [--services-only]
                    Mounts tsmfs (the binary beside this one) per provider and prints a table of cycle throughput and
                    latency, cached reads, generation cost, RSS and start-up, with the floors and ratios of the same run;
                    then alternates short rounds of echo, tdx and fuse-floor, each round split into --turns turns per
                    target (default 4), and reports medians, spreads and the daemons' CPU time per cycle, which noise
                    from other work does not move. --generation-only prints the in-process costs alone (each
                    provider's generation and the signatures it is measured against).
                    """)
                exit(argument == "--help" ? 0 : 2)
            }
        }
        var bench = Bench(options: options)
        try bench.run()
    }

    let options: Options
    let tsmfs = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("tsmfs").path
    let work: String = {
        var template = Array("/tmp/tsmfs-bench-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }()
    var report: [String: Any] = [:]

    init(options: Options) { self.options = options }

    mutating func run() throws {
        defer { _ = shell("umount \(work)/tmpfs 2>/dev/null; rm -rf \(work)") }
        print("tsmfs-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(options.seconds) s per measurement\n")
        if options.servicesOnly { return try serviceThroughput() }
        let generation = generationCosts()
        report["generation_us"] = generation
        print(
            String(
                format:
                    "in-process generation, µs per report: echo %.1f  tdx %.1f (%.1f without its signature)  sev %.1f  cca %.1f  (one P-384 signature %.1f)\n",
                generation["echo"] ?? 0, generation["tdx"] ?? 0, generation["tdx_without_signature"] ?? 0,
                generation["sev"] ?? 0, generation["cca"] ?? 0, generation["p384_signature"] ?? 0))
        print(
            String(
                format:
                    "in-process P-256 signature, µs: BoringSSL %.1f (%.1f with the caches evicted first), RFC 6979 deterministic %.1f\n",
                generation["p256_signature"] ?? 0, generation["p256_signature_evicted"] ?? 0,
                generation["p256_deterministic_signature"] ?? 0))
        if options.generationOnly { return }

        var cycles: [String: [Int: [String: Double]]] = [:]
        cycles["tmpfs"] = cycleTable("tmpfs (kernel floor)", workload(on: try tmpfs(), provider: nil))
        if let floor = try fuseFloor() {
            cycles["fuse-floor"] = cycleTable(
                "fuse-floor (minimal libfuse filesystem, same shape and loop)",
                Workload(root: floor.mountpoint + "/tsm/report", readsAuxblob: true, isPlainDirectory: false))
            report["cached_outblob_reads_per_s_fuse-floor"] = cachedReads(floor.mountpoint, provider: "fuse-floor")
            print("")
            kill(floor.process, SIGTERM)
            var status: Int32 = 0
            waitpid(floor.process, &status, 0)
        }
        for provider in options.providers {
            let (mountpoint, startup) = try mount(provider)
            defer { unmount(mountpoint) }
            report["startup_ms_\(provider)"] = startup
            print(
                String(
                    format: "%@: mount ready in %.0f ms cold (keys generated), %.0f ms warm", provider,
                    startup["cold"]!, startup["warm"]!))
            cycles[provider] = cycleTable("\(provider) full cycle", workload(on: mountpoint, provider: provider))
            report["cached_outblob_reads_per_s_\(provider)"] = cachedReads(mountpoint, provider: provider)
            report["rss_kib_\(provider)"] = try memory(mountpoint, provider: provider)
            if let roundTrips = deviceRoundTrips(provider: provider, configfs: cycles[provider]?[1]?["ops_per_s"]) {
                report["device_\(provider)"] = roundTrips
            }
        }
        report["cycles"] = cycles.mapValues { $0.reduce(into: [String: [String: Double]]()) { $0[String($1.key)] = $1.value } }
        targets(cycles: cycles, generation: generation)
        try roundTargets()
        try serviceThroughput()
        if let json = options.json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
            print("\nJSON written to \(json)")
        }
    }

    // MARK: measurements

    func workload(on root: String, provider: String?) -> Workload {
        Workload(
            root: provider == nil ? root : root + "/tsm/report", readsAuxblob: provider != "tdx",
            isPlainDirectory: provider == nil)
    }

    /// Full cycles at every thread count: ops/s, p50 and p99 latency (µs).
    func cycleTable(_ title: String, _ workload: Workload) -> [Int: [String: Double]] {
        print("\(title)")
        print("  threads      ops/s    p50 µs    p99 µs")
        var table: [Int: [String: Double]] = [:]
        for threads in options.threads {
            let result = measure(threads: threads, seconds: options.seconds) { thread, iteration in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
                defer { buffer.deallocate() }
                return workload.cycle("b\(thread)-\(iteration)", nonce: nonce(thread, iteration), buffer: buffer)
            }
            let opsPerSecond = Double(result.latencies.count) / result.elapsed
            let row = [
                "ops_per_s": opsPerSecond, "p50_us": percentile(result.latencies, 0.5),
                "p99_us": percentile(result.latencies, 0.99), "failures": Double(result.failures),
            ]
            table[threads] = row
            print(
                String(
                    format: "  %7d %10.0f %9.0f %9.0f%@", threads, opsPerSecond, row["p50_us"]!, row["p99_us"]!,
                    result.failures > 0 ? "  (\(result.failures) failed)" : ""))
        }
        print("")
        return table
    }

    /// Reads of an already generated outblob through fresh descriptors, per second (1 thread).
    func cachedReads(_ mountpoint: String, provider: String) -> Double {
        let entry = mountpoint + "/tsm/report/cached"
        mkdir(entry, 0o700)
        let load = Workload(root: mountpoint + "/tsm/report", readsAuxblob: false, isPlainDirectory: false)
        _ = load.write(entry + "/inblob", nonce(0, 0), flags: O_WRONLY)
        let result = measure(threads: 1, seconds: options.seconds) { _, _ in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
            defer { buffer.deallocate() }
            return load.read(entry + "/outblob", buffer) > 0
        }
        rmdir(entry)
        let rate = Double(result.latencies.count) / result.elapsed
        print(String(format: "%@: cached outblob reads %.0f/s (1 thread)", provider, rate))
        return rate
    }

    /// Device round trips per second at 1 and at the largest thread count, and the 1-thread time
    /// per request against the configfs cycle's (mkdir, inblob, outblob, … rmdir) of the same run.
    func deviceRoundTrips(provider: String, configfs: Double?) -> [String: Double]? {
        guard provider == "tdx" || provider == "sev" else { return nil }
        let name = provider == "tdx" ? "tdx_guest GET_REPORT0" : "sev-guest SNP_GET_EXT_REPORT"
        let trip = DeviceRoundTrip(
            device: "\(work)/dev-\(provider)/dev/\(provider == "tdx" ? "tdx_guest" : "sev-guest")", provider: provider)
        var row: [String: Double] = [:]
        for threads in Set([1, options.threads.max() ?? 1]).sorted() {
            let calls = (0..<threads).map { _ in trip.makeCall() }
            guard calls.allSatisfy({ $0 != nil }) else {
                print("\(provider): cannot open the device; skipping device round trips")
                return nil
            }
            // Each thread uses only its own call (descriptor and buffers).
            nonisolated(unsafe) let perThread = calls
            let result = measure(threads: threads, seconds: options.seconds) { thread, _ in perThread[thread]!() }
            row["ops_per_s_\(threads)"] = Double(result.latencies.count) / result.elapsed
            row["p50_us_\(threads)"] = percentile(result.latencies, 0.5)
        }
        if let configfs, let single = row["ops_per_s_1"] {
            row["ratio_to_configfs_cycle"] = configfs / single
            print(
                String(
                    format: "%@: %@ %.0f/s (1 thread), p50 %.0f µs: %.2f× the configfs cycle's time\n", provider, name, single,
                    row["p50_us_1"] ?? 0, configfs / single))
        }
        return row
    }

    /// The daemon's RSS: at rest, with N entries each holding a cached report, after removing
    /// them, and after N full cycles.
    func memory(_ mountpoint: String, provider: String) throws -> [String: Double] {
        guard let pid = daemonPID(mountpoint) else { return [:] }
        let load = workload(on: mountpoint, provider: provider)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
        defer { buffer.deallocate() }
        let idle = rss(pid)
        // Leaks first: cycles create and free everything they use, so RSS must stay put.
        for index in 0..<options.entries { _ = load.cycle("c\(index)", nonce: nonce(2, index), buffer: buffer) }
        let cycled = rss(pid)
        for index in 0..<options.entries {
            let entry = load.root + "/m\(index)"
            mkdir(entry, 0o700)
            _ = load.write(entry + "/inblob", nonce(1, index), flags: O_WRONLY)
            _ = load.read(entry + "/outblob", buffer)
        }
        let full = rss(pid)
        for index in 0..<options.entries { rmdir(load.root + "/m\(index)") }
        let emptied = rss(pid)
        print(
            String(
                format:
                    "%@: RSS %.1f MiB at rest, %.1f MiB after %d cycles, %.1f MiB with %d cached entries, %.1f MiB after removing them\n",
                provider, idle / 1024, cycled / 1024, options.entries, full / 1024, options.entries, emptied / 1024))
        return ["rest": idle, "entries": full, "removed": emptied, "after_cycles": cycled]
    }

    /// Each provider's generateReport timed in-process, and one P-384 signature.
    func generationCosts() -> [String: Double] {
        var costs: [String: Double] = [:]
        let request = ReportRequest(inblob: nonce(0, 0))
        // What tsmfs mount --provider P serves with no configuration: built the same way, through the
        // same assembly.
        for choice in [ProviderChoice.echo, .tdx, .sev, .cca] where options.providers.contains(choice.rawValue) {
            let assembly = ProviderAssembly(
                configFile: .empty(), provider: choice, stateDirectory: work + "/gen-\(choice.rawValue)", owner: .root, seed: nil)
            guard let provider = try? assembly.makeProvider() else { continue }
            costs[choice.rawValue] = microsecondsEach(choice == .echo ? 2000 : 300) {
                _ = try provider.generateReport(for: request)
            }
            // A TDX quote rebuilt with the signature kept from its first generation: everything a
            // quote costs but the signature.
            if choice == .tdx, let first = try? provider.generateReport(for: request) {
                var rebuild = request
                rebuild.rebuildMaterial = first.rebuildMaterial
                rebuild.platformState = provider.capturePlatformState()
                costs["tdx_without_signature"] = microsecondsEach(3000) { _ = try provider.generateReport(for: rebuild) }
            }
        }
        let signed = Self.quoteSizedMessage
        if options.providers.contains(where: { $0 == "sev" || $0 == "cca" }) {
            let key = P384.Signing.PrivateKey()
            costs["p384_signature"] = microsecondsEach(300) { _ = try key.signature(for: signed) }
        }
        let p256 = P256.Signing.PrivateKey()
        costs["p256_signature"] = Self.p256SignatureMicroseconds(p256, count: 1000)
        costs["p256_deterministic_signature"] = microsecondsEach(1000) { _ = DeterministicECDSA.sign(signed, with: p256) }
        // A daemon signs between FUSE requests, after the kernel and other processes have had the
        // caches: the same signature with its tables and code evicted first.
        var eviction = [UInt8](repeating: 1, count: 16 << 20)
        var cold = 0.0
        for _ in 0..<100 {
            eviction.withUnsafeMutableBytes { bytes in
                for index in stride(from: 0, to: bytes.count, by: 64) { bytes[index] &+= 1 }
            }
            cold += Self.p256SignatureMicroseconds(p256, count: 1)
        }
        costs["p256_signature_evicted"] = cold / 100
        return costs
    }

    /// What the signature yardsticks sign: as long as a quote's header and body.
    static let quoteSizedMessage = [UInt8](repeating: 7, count: 0x2A0)

    /// One in-process P-256 signature over a quote-sized message (µs): the mean of `count`.
    static func p256SignatureMicroseconds(_ key: P256.Signing.PrivateKey = P256.Signing.PrivateKey(), count: Int = 200)
        -> Double
    {
        microsecondsEach(count) { _ = try key.signature(for: quoteSizedMessage) }
    }

    // MARK: targets

    mutating func targets(cycles: [String: [Int: [String: Double]]], generation: [String: Double]) {
        print("targets, from this run:")
        func meanLatency(_ name: String, _ threads: Int = 1) -> Double? {
            cycles[name]?[threads]?["ops_per_s"].map { Double(threads) * 1e6 / $0 }
        }
        let line = printVerdict
        if let echo = meanLatency("echo"), let tmpfs = meanLatency("tmpfs") {
            print(
                String(
                    format: "  echo cycle %.0f µs vs tmpfs %.0f µs: FUSE costs %.1f× the kernel's own filesystem", echo, tmpfs,
                    echo / tmpfs))
            report["ratio_echo_tmpfs"] = echo / tmpfs
        }
        if let echo = meanLatency("echo"), let floor = meanLatency("fuse-floor") {
            line(
                echo <= 2 * floor, String(format: "echo cycle ≤ 2 × minimal libfuse filesystem (fuse-floor): %.2f×", echo / floor)
            )
            report["ratio_echo_fuse_floor"] = echo / floor
        }
        if let echo = meanLatency("echo"), let tdx = meanLatency("tdx") {
            line(tdx <= 1.25 * echo, String(format: "tdx cycle ≤ 1.25 × echo cycle: %.2f×", tdx / echo))
            report["ratio_tdx_echo"] = tdx / echo
        }
        if let echo = meanLatency("echo"), let sev = meanLatency("sev"), let signature = generation["p384_signature"] {
            line(
                sev <= 1.25 * (echo + signature),
                String(format: "sev cycle ≤ 1.25 × (echo cycle + one P-384 signature): %.2f×", sev / (echo + signature)))
            report["ratio_sev_echo_plus_signature"] = sev / (echo + signature)
        }
        if let echo = meanLatency("echo"), let cca = meanLatency("cca"), let signature = generation["p384_signature"] {
            // A CCA token is two P-384 signatures (realm and platform).
            line(
                cca <= 1.25 * (echo + 2 * signature),
                String(format: "cca cycle ≤ 1.25 × (echo cycle + two P-384 signatures): %.2f×", cca / (echo + 2 * signature)))
            report["ratio_cca_echo_plus_signatures"] = cca / (echo + 2 * signature)
        }
        if let one = cycles["tdx"]?[1]?["ops_per_s"], let two = cycles["tdx"]?[2]?["ops_per_s"] {
            line(two >= 1.6 * one, String(format: "tdx: 2 clients ≥ 1.6 × 1 client: %.2f×", two / one))
            report["scaling_tdx_2_over_1"] = two / one
        }
        let floorReads = report["cached_outblob_reads_per_s_fuse-floor"] as? Double
        for provider in options.providers {
            if let rate = report["cached_outblob_reads_per_s_\(provider)"] as? Double {
                line(rate >= 10_000, String(format: "%@: cached outblob reads ≥ 10,000/s per core: %.0f/s", provider, rate))
                // The absolute target depends on the machine; the floor of the same run does not.
                if let floorReads {
                    line(
                        rate >= 0.8 * floorReads,
                        String(format: "%@: cached outblob reads ≥ 0.8 × fuse-floor's: %.2f×", provider, rate / floorReads))
                    report["ratio_cached_reads_\(provider)_fuse_floor"] = rate / floorReads
                }
            }
            if let rss = report["rss_kib_\(provider)"] as? [String: Double], let entries = rss["entries"], let rest = rss["rest"],
                let cycled = rss["after_cycles"]
            {
                if provider == "tdx" {
                    line(
                        entries <= 64 * 1024,
                        String(format: "tdx: ≤ 64 MiB RSS with %d cached quotes: %.1f MiB", options.entries, entries / 1024))
                }
                line(
                    cycled <= rest + 4096,
                    String(
                        format: "%@: no growth across %d cycles: %.1f → %.1f MiB", provider,
                        options.entries, rest / 1024, cycled / 1024))

            }
            if let startup = report["startup_ms_\(provider)"] as? [String: Double] {
                line(
                    startup["warm"]! <= 200, String(format: "%@: warm mount ready ≤ 200 ms: %.0f ms", provider, startup["warm"]!))
                line(startup["cold"]! <= 5000, String(format: "%@: cold mount ≤ 5 s: %.0f ms", provider, startup["cold"]!))
            }
        }
    }

    /// echo, tdx and fuse-floor mounted together and measured in alternating rounds at 1 and 8 clients;
    /// the targets judged on medians and on the daemons' CPU time per cycle.
    mutating func roundTargets() throws {
        guard options.rounds > 0, let floor = try fuseFloor() else { return }
        defer {
            kill(floor.process, SIGTERM)
            var status: Int32 = 0
            waitpid(floor.process, &status, 0)
        }
        var targets = [
            RoundTarget(
                name: "fuse-floor",
                workload: Workload(root: floor.mountpoint + "/tsm/report", readsAuxblob: false, isPlainDirectory: false),
                daemon: floor.process)
        ]
        var mountpoints: [String] = []
        defer { for mountpoint in mountpoints { unmount(mountpoint) } }
        for provider in ["echo", "tdx"] {
            let (mountpoint, _) = try mount(provider)
            mountpoints.append(mountpoint)
            guard let daemon = daemonPID(mountpoint) else { throw BenchError("no daemon found for \(mountpoint)") }
            // Both read outblob only, so the ratio compares the same work.
            targets.append(
                RoundTarget(
                    name: provider,
                    workload: Workload(root: mountpoint + "/tsm/report", readsAuxblob: false, isPlainDirectory: false),
                    daemon: daemon))
        }
        print(
            "alternating rounds: \(options.rounds) × \(options.roundSeconds) s per target in turns of \(options.roundSeconds / Double(options.turns)) s, order rotating; median [min–max]"
        )
        var rounds: [String: Any] = [:]
        let turns = options.turns
        for threads in [1, 8] {
            let (figures, signatures) = alternatingRounds(
                targets, threads: threads, rounds: options.rounds, seconds: options.roundSeconds, turns: turns,
                yardstick: { Self.p256SignatureMicroseconds(count: max(50, 200 / turns)) })
            print(
                "  \(threads) client\(threads == 1 ? "" : "s")    cycle µs                 daemon CPU µs per cycle     context switches per cycle"
            )
            var row: [String: Any] = [:]
            for target in targets {
                let cycle = medianAndSpread(figures[target.name]?.cycleMicroseconds ?? [])
                let cpu = medianAndSpread(figures[target.name]?.cpuMicroseconds ?? [])
                let switches = medianAndSpread(figures[target.name]?.switchesPerCycle ?? [])
                print(
                    String(
                        format: "  %@ %7.0f [%.0f–%.0f]      %7.1f [%.1f–%.1f]      %6.1f [%.1f–%.1f]",
                        target.name + String(repeating: " ", count: max(1, 12 - target.name.count)), cycle.median, cycle.min,
                        cycle.max,
                        cpu.median, cpu.min, cpu.max, switches.median, switches.min, switches.max))
                row[target.name] = [
                    "cycle_us_median": cycle.median, "cpu_us_per_cycle_median": cpu.median,
                    "context_switches_per_cycle_median": switches.median,
                ]
            }
            // Per-round figures: a ratio of two targets' cycles, and tdx's CPU beyond echo's in
            // P-256 signatures timed in this process during the same round.
            let ratios = { (a: String, b: String) -> [Double] in
                zip(figures[a]?.cycleMicroseconds ?? [], figures[b]?.cycleMicroseconds ?? []).map { $0 / $1 }
            }
            let tdxOverEcho = ratios("tdx", "echo")
            let echoThroughputOverFloor = ratios("fuse-floor", "echo")
            let extraCPU = zip(figures["tdx"]?.cpuMicroseconds ?? [], figures["echo"]?.cpuMicroseconds ?? []).map { $0 - $1 }
            let extraSignatures = zip(extraCPU, signatures).map { $0 / $1 }
            // Each target is judged on the median of its rounds; the interval says whether this
            // run's rounds were steady enough for that median to settle it.
            func judge(
                _ key: String, _ values: [Double], format: String, meets: (Double) -> Bool, _ description: String
            ) {
                let median = medianAndSpread(values).median
                row[key] = median
                var text = description + String(format: format, median)
                if let interval = MedianInterval(values) {
                    row[key + "_interval"] = [interval.lower, interval.upper]
                    text +=
                        String(format: "; %.0f %% interval ", 100 * interval.coverage)
                        + String(format: format, interval.lower) + " – " + String(format: format, interval.upper)
                        + ": " + interval.verdict(meets).rawValue
                } else {
                    text += "; too few rounds for an interval"
                }
                printVerdict(meets(median), text)
            }
            judge(
                "ratio_tdx_echo_median", tdxOverEcho, format: "%.2f×", meets: { $0 <= 1.25 },
                "tdx cycle ≤ 1.25 × echo cycle (median of rounds): ")
            judge(
                "ratio_echo_throughput_fuse_floor_median", echoThroughputOverFloor, format: "%.2f×", meets: { $0 >= 0.9 },
                "echo throughput ≥ 0.9 × fuse-floor's (median of rounds): ")
            judge(
                "cpu_tdx_minus_echo_over_p256_signature", extraSignatures, format: "%+.2f", meets: { $0 <= 1.5 },
                String(
                    format:
                        "daemon CPU per tdx cycle ≤ echo's + 1.5 × one P-256 signature (median of rounds; %.1f µs over echo's, one signature %.1f µs): ",
                    medianAndSpread(extraCPU).median, medianAndSpread(signatures).median))
            rounds["\(threads)"] = row
        }
        var requests: [String: Double] = [:]
        for provider in ["echo", "tdx"] {
            if let perCycle = try requestsPerCycle(provider) { requests[provider] = perCycle }
        }
        print(
            "  FUSE requests per cycle (counted in --verbose logs): "
                + requests.sorted { $0.key < $1.key }.map { String(format: "%@ %.1f", $0.key, $0.value) }.joined(separator: ", "))
        rounds["fuse_requests_per_cycle"] = requests
        report["alternating_rounds"] = rounds
        report["alternating_rounds_turns"] = options.turns
        print("")
    }

    /// The FUSE requests one full cycle makes, counted from a verbose daemon's log over 50 cycles: a
    /// figure of the protocol, not of the machine.
    func requestsPerCycle(_ provider: String) throws -> Double? {
        let mountpoint = work + "/mnt-verbose-" + provider
        let log = work + "/verbose-" + provider + ".log"
        mkdir(mountpoint, 0o755)
        guard
            shell(
                "\(tsmfs) mount --provider \(provider) --state-dir \(work)/state-\(provider) --verbose --log-file \(log) \(mountpoint)"
            )
                == 0
        else { return nil }
        defer { unmount(mountpoint) }
        func requests() -> Int {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.contains(" -> ") }
                .count
        }
        let workload = Workload(root: mountpoint + "/tsm/report", readsAuxblob: false, isPlainDirectory: false)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
        defer { buffer.deallocate() }
        let before = requests()
        let cycles = 50
        for index in 0..<cycles { _ = workload.cycle("v\(index)", nonce: nonce(0, index), buffer: buffer) }
        return Double(requests() - before) / Double(cycles)
    }

    // MARK: helpers

    /// Mounts `provider` twice: cold (empty state directory), then warm; returns the warm mount.
    func mount(_ provider: String) throws -> (String, [String: Double]) {
        let state = work + "/state-" + provider
        let mountpoint = work + "/mnt-" + provider
        mkdir(mountpoint, 0o755)
        var times: [String: Double] = [:]
        for phase in ["cold", "warm"] {
            let start = DispatchTime.now().uptimeNanoseconds
            let config = ProcessInfo.processInfo.environment["TSMFS_BENCH_CONFIG"].map { " --config \($0)" } ?? ""
            let devices = provider == "tdx" || provider == "sev" ? work + "/dev-" + provider : nil
            if let devices { mkdir(devices, 0o755) }
            let devicesOption = devices.map { " --devices \($0)" } ?? ""
            guard shell("\(tsmfs) mount --provider \(provider) --state-dir \(state)\(config)\(devicesOption) \(mountpoint)") == 0
            else {
                throw BenchError("tsmfs mount --provider \(provider) failed")
            }
            times[phase] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if phase == "cold" { unmount(mountpoint) }
        }
        return (mountpoint, times)
    }

    /// Starts the minimal C filesystem built beside this program, if it is there.
    /// Starts fuse-floor in a session of its own, as `tsmfs mount` starts its daemon: with scheduler
    /// autogroups a session is a scheduling group, and a floor in its clients' group is scheduled
    /// unlike any daemon (it measured about 25 % faster at 8 clients for that reason alone).
    func fuseFloor() throws -> (process: pid_t, mountpoint: String)? {
        let binary = URL(fileURLWithPath: tsmfs).deletingLastPathComponent().appendingPathComponent("fuse-floor").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            print("fuse-floor not built (swift build -c release --product fuse-floor): skipping the libfuse floor\n")
            return nil
        }
        let mountpoint = work + "/floor"
        mkdir(mountpoint, 0o755)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, 0x80)  // POSIX_SPAWN_SETSID, a GNU extension Glibc does not export
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(binary), strdup(mountpoint), strdup("1.0"), nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, binary, nil, &attributes, argv, environ)
        guard spawned == 0 else { throw BenchError("cannot start fuse-floor: \(String(cString: strerror(spawned)))") }
        for _ in 0..<500
        where !((try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? "").contains(" \(mountpoint) ") {
            usleep(10_000)
        }
        return (pid, mountpoint)
    }

    /// Unmounts a provider's mount; its devices (if any) stop with it.
    func unmount(_ mountpoint: String) { _ = shell("\(tsmfs) unmount --lazy \(mountpoint)") }

    func tmpfs() throws -> String {
        let directory = work + "/tmpfs"
        mkdir(directory, 0o755)
        guard shell("mount -t tmpfs tsmfs-bench \(directory)") == 0 else {
            throw BenchError("cannot mount a tmpfs (run as root)")
        }
        return directory
    }

    func daemonPID(_ mountpoint: String) -> Int32? {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in processes.compactMap(Int32.init) {
            guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.contains("--foreground"), arguments.last == mountpoint { return pid }
        }
        return nil
    }

    func rss(_ pid: Int32) -> Double {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    /// Runs `command` with /bin/sh; its exit status, or -1 when it could not be started (a
    /// Process that never ran must not be waited for: Foundation traps on its status).
    @discardableResult
    func shell(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        do {
            try process.run()
        } catch {
            FileHandle.standardError.write(Data("tsmfs-bench: cannot run /bin/sh -c \(command): \(error)\n".utf8))
            return -1
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// One target's verdict line, as every table of targets prints it.
func printVerdict(_ met: Bool, _ text: String) { print("  [\(met ? "met" : "MISSED")] \(text)") }

/// The mean time of one of `count` calls of `body`, in microseconds.
func microsecondsEach(_ count: Int, _ body: () throws -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<count { try? body() }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / Double(count)
}

/// A distinct 64-byte nonce per thread and iteration.
func nonce(_ thread: Int, _ iteration: Int) -> [UInt8] {
    (0..<64).map { UInt8(truncatingIfNeeded: thread &* 131 &+ iteration &* 7 &+ $0) }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
