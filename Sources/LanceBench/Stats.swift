#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A repeated measurement as `pylance_workload.py` reports it: `{"median", "min", "max", "n"}`.
public struct Stat: Sendable {
    public var values: [Double]
    public var digits: Int

    public init(_ values: [Double], digits: Int = 6) {
        self.values = values
        self.digits = digits
    }

    public var median: Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    public var json: BenchJSON {
        .object([
            ("median", .number(round(median, digits))),
            ("min", .number(round(values.min() ?? .nan, digits))),
            ("max", .number(round(values.max() ?? .nan, digits))),
            ("n", .int(values.count)),
        ])
    }
}

func round(_ x: Double, _ digits: Int) -> Double {
    guard x.isFinite else { return x }
    let p = pow(10.0, Double(digits))
    return (x * p).rounded() / p
}

/// Linear-interpolated percentile, as numpy's default.
public func percentile(_ values: [Double], _ q: Double) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    let pos = q / 100 * Double(s.count - 1)
    let lo = Int(pos.rounded(.down)), hi = Int(pos.rounded(.up))
    return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
}

/// Monotonic seconds.
public func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Peak resident set size of this process in bytes (VmHWM), and a reset so each item reports its own peak.
public enum PeakMemory {
    public static func read() -> UInt64? {
        #if os(Linux)
        guard let f = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, f) != nil {
            let s = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if s.hasPrefix("VmHWM:") {
                let digits = s.filter(\.isNumber)
                return UInt64(digits).map { $0 * 1024 }
            }
        }
        return nil
        #else
        var usage = rusage()
        getrusage(RUSAGE_SELF, &usage)
        return UInt64(usage.ru_maxrss)
        #endif
    }

    /// Resets the peak to the current RSS (Linux: writes 5 to /proc/self/clear_refs).
    public static func reset() {
        #if os(Linux)
        if let f = fopen("/proc/self/clear_refs", "w") {
            fputs("5", f)
            fclose(f)
        }
        #endif
    }
}

/// A small ordered JSON value for the bench report.
public indirect enum BenchJSON: Sendable {
    case null
    case int(Int)
    case number(Double)
    case string(String)
    case bool(Bool)
    case array([BenchJSON])
    case object([(String, BenchJSON)])

    public func render(indent: Int = 0) -> String {
        switch self {
        case .null: return "null"
        case .int(let i): return String(i)
        case .number(let d): return d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(format1(d)) : "\(d)") : "null"
        case .string(let s): return quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .array(let a): return "[" + a.map { $0.render() }.joined(separator: ", ") + "]"
        case .object(let kv):
            let pad = String(repeating: " ", count: indent + 1)
            return "{\n" + kv.map { "\(pad)\(quote($0.0)): \($0.1.render(indent: indent + 1))" }.joined(separator: ",\n")
                + "\n" + String(repeating: " ", count: indent) + "}"
        }
    }

    private func format1(_ d: Double) -> String { "\(d)" }

    private func quote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(c.value, radix: 16).count) + String(c.value, radix: 16) }
                else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }
}
