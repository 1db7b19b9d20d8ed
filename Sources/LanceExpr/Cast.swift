import Foundation
import LanceArrow
import LanceCore

extension Eval {
    static func castError(_ what: String, _ to: DataType, pos: Int) -> LanceError {
        exprError("cannot cast \(what) to \(to)", at: pos)
    }

    static func unitsPerSecond(_ u: TimeUnit) -> Int64 {
        switch u { case .second: 1; case .millisecond: 1_000; case .microsecond: 1_000_000; case .nanosecond: 1_000_000_000 }
    }

    /// Casts a column (CAST semantics: out-of-range values and unparsable strings are errors).
    static func cast(_ c: Col, to t: DataType, pos: Int) throws -> Col {
        if c.type == t { return c }
        var r = c
        r.type = t
        let validAt = { (i: Int) -> Bool in c.isValid(i) }
        let m = c.physicalCount
        if case .null = c.storage { return Col.nulls(t, count: c.count, scalar: c.scalar) }
        // Numeric values that do not fit the target type are errors (the reference casts with safe = false).
        var overflowed: [Int] = []
        switch (c.storage, Col.kind(of: t)) {
        case (.int(let v), .int):
            switch (c.type, t) {
            case (.date32, .date64): r.storage = .int(v.map { $0 &* 86_400_000 })
            case (.date64, .date32): r.storage = .int(v.map { floorDiv($0, 86_400_000) })
            case (.date32, .timestamp(let u, _)): r.storage = .int(v.map { $0 &* 86_400 &* unitsPerSecond(u) })
            case (.date64, .timestamp(let u, _)): r.storage = .int(v.map { $0 &* unitsPerSecond(u) / 1000 })
            case (.timestamp(let u, _), .date32): r.storage = .int(v.map { floorDiv($0, 86_400 * unitsPerSecond(u)) })
            case (.timestamp(let u, _), .date64): r.storage = .int(v.map { floorDiv($0 &* 1000, unitsPerSecond(u)) })
            case (.timestamp(let a, _), .timestamp(let b, _)):
                let fa = unitsPerSecond(a), fb = unitsPerSecond(b)
                r.storage = .int(fa >= fb ? v.map { $0 / (fa / fb) } : v.map { $0 &* (fb / fa) })
            default:
                for i in 0 ..< m where validAt(i) && !fitsSigned(v[i], t) { overflowed.append(i) }
            }
        case (.int(let v), .uint):
            for i in 0 ..< m where validAt(i) && (v[i] < 0 || !fitsUnsigned(UInt64(v[i]), t)) { overflowed.append(i) }
            r.storage = .uint(v.map { UInt64(truncatingIfNeeded: $0) })
        case (.uint(let v), .int):
            for i in 0 ..< m where validAt(i) && (v[i] > UInt64(Int64.max) || !fitsSigned(Int64(v[i]), t)) { overflowed.append(i) }
            r.storage = .int(v.map { Int64(truncatingIfNeeded: $0) })
        case (.uint(let v), .uint):
            for i in 0 ..< m where validAt(i) && !fitsUnsigned(v[i], t) { overflowed.append(i) }
        case (.int(let v), .float): r.storage = .float(K.map1(v, false, v.count) { Double($0) }); r = try wrap(r)
        case (.uint(let v), .float): r.storage = .float(v.map { Double($0) }); r = try wrap(r)
        case (.float(let v), .float): r.storage = .float(v); r = try wrap(r)
        case (.float(let v), .int):
            var out = [Int64](repeating: 0, count: m)
            for i in 0 ..< m where validAt(i) {
                guard let x = Int64(exactly: v[i].rounded(.towardZero)), fitsSigned(x, t) else { overflowed.append(i); continue }
                out[i] = x
            }
            r.storage = .int(out)
        case (.float(let v), .uint):
            var out = [UInt64](repeating: 0, count: m)
            for i in 0 ..< m where validAt(i) {
                guard let x = UInt64(exactly: v[i].rounded(.towardZero)), fitsUnsigned(x, t) else { overflowed.append(i); continue }
                out[i] = x
            }
            r.storage = .uint(out)
        case (.bool(let v), .int): r.storage = .int(v.map { $0 ? 1 : 0 })
        case (.bool(let v), .uint): r.storage = .uint(v.map { $0 ? 1 : 0 })
        case (.bool(let v), .float): r.storage = .float(v.map { $0 ? 1 : 0 })
        case (.int(let v), .bool): r.storage = .bool(v.map { $0 != 0 })
        case (.uint(let v), .bool): r.storage = .bool(v.map { $0 != 0 })
        case (.float(let v), .bool): r.storage = .bool(v.map { $0 != 0 })
        case (.bytes, .bytes):
            if t.isString && !c.type.isString {
                for i in 0 ..< m where validAt(i) {
                    guard c.withBytes(i, { String(validating: $0, as: UTF8.self) }) != nil else {
                        throw castError("non-UTF-8 bytes", t, pos: pos)
                    }
                }
            }
        case (.bytes, _):
            return try castFromString(c, to: t, pos: pos)
        case (_, .bytes):
            var out: [String?] = []
            out.reserveCapacity(m)
            for i in 0 ..< m {
                guard validAt(i) else { out.append(nil); continue }
                switch c.storage {
                case .int(let v): out.append(formatInt(v[i], c.type))
                case .uint(let v): out.append(String(v[i]))
                case .float(let v): out.append(formatFloat(v[i]))
                case .bool(let v): out.append(v[i] ? "true" : "false")
                default: throw castError("\(c.type)", t, pos: pos)
                }
            }
            var s = Col.strings(out, type: t, count: c.count, scalar: c.scalar)
            if !c.scalar { s.count = c.count }
            return s
        case (.list(let o, let items), .list):
            guard let item = t.children.first?.type else { throw castError("\(c.type)", t, pos: pos) }
            r.storage = .list(offsets: o, items: try cast(items, to: item, pos: pos))
        default:
            throw castError("\(c.type)", t, pos: pos)
        }
        if let i = overflowed.first {
            let value: String = switch c.storage {
            case .int(let v): "\(v[i])"
            case .uint(let v): "\(v[i])"
            case .float(let v): "\(v[i])"
            default: "a value"
            }
            throw castError(value, t, pos: pos)
        }
        return r
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func fitsSigned(_ v: Int64, _ t: DataType) -> Bool {
        switch t {
        case .int8: return Int8(exactly: v) != nil
        case .int16: return Int16(exactly: v) != nil
        case .int32, .date32: return Int32(exactly: v) != nil
        default: return true
        }
    }

    static func fitsUnsigned(_ v: UInt64, _ t: DataType) -> Bool {
        switch t {
        case .uint8: return v <= UInt64(UInt8.max)
        case .uint16: return v <= UInt64(UInt16.max)
        case .uint32: return v <= UInt64(UInt32.max)
        default: return true
        }
    }

    static func formatFloat(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == d.rounded(), abs(d) < 1e16 { return String(Int64(d)) + (d == 0 && d.sign == .minus ? "" : "") }
        return "\(d)"
    }

    static func formatInt(_ v: Int64, _ t: DataType) -> String {
        switch t {
        case .date32:
            let (y, mo, d) = civil(fromDays: v)
            func pad(_ x: Int64, _ w: Int) -> String { let s = String(x); return String(repeating: "0", count: max(0, w - s.count)) + s }
            return "\(y < 0 ? "-" : "")\(pad(Swift.abs(y), 4))-\(pad(mo, 2))-\(pad(d, 2))"
        default: return String(v)
        }
    }

    static func castFromString(_ c: Col, to t: DataType, pos: Int) throws -> Col {
        let m = c.physicalCount
        var r = c
        r.type = t
        func each<T>(_ zero: T, _ parse: (String) -> T?) throws -> [T] {
            var out = [T](repeating: zero, count: m)
            for i in 0 ..< m where c.isValid(i) {
                let s = c.string(i)
                guard let v = parse(s) else { throw exprError("cannot cast string '\(s)' to \(t)", at: pos) }
                out[i] = v
            }
            return out
        }
        switch t {
        case .int8, .int16, .int32, .int64:
            r.storage = .int(try each(0) { s in Int64(s).flatMap { fitsSigned($0, t) ? $0 : nil } })
        case .uint8, .uint16, .uint32, .uint64:
            r.storage = .uint(try each(0) { s in UInt64(s).flatMap { fitsUnsigned($0, t) ? $0 : nil } })
        case .float16, .float32, .float64:
            r.storage = .float(try each(0) { s in parseFloat(s) })
            r = try wrap(r)
        case .bool:
            r.storage = .bool(try each(false) { s in
                switch s.lowercased() {
                case "true", "t", "yes", "y", "on", "1": return true
                case "false", "f", "no", "n", "off", "0": return false
                default: return nil
                }
            })
        case .date32:
            r.storage = .int(try each(0) { s in parseDate(s) })
        case .date64:
            r.storage = .int(try each(0) { s in parseDate(s).map { $0 * 86_400_000 } })
        case .timestamp(let u, _):
            r.storage = .int(try each(0) { s in parseTimestamp(s, unit: u) })
        default:
            throw castError("\(c.type)", t, pos: pos)
        }
        return r
    }

    static func parseFloat(_ s: String) -> Double? {
        switch s.lowercased() {
        case "nan": return .nan
        case "inf", "infinity", "+inf", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return Double(s)
        }
    }

    static func days(fromCivil y: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y2 = m <= 2 ? y - 1 : y
        let era = (y2 >= 0 ? y2 : y2 - 399) / 400
        let yoe = y2 - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func parseDate(_ s: String) -> Int64? {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, (4 ... 6).contains(parts[0].count), let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
              (1 ... 12).contains(m), d >= 1 else { return nil }
        let dim: [Int64] = [31, (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= dim[Int(m - 1)] else { return nil }
        return days(fromCivil: y, m, d)
    }

    static func parseTimestamp(_ text: String, unit: TimeUnit) -> Int64? {
        var s = Substring(text)
        guard s.count >= 10, let day = parseDate(String(s.prefix(10))) else { return nil }
        s = s.dropFirst(10)
        var secs: Int64 = day * 86_400
        var frac: Int64 = 0
        var fracDigits = 0
        if let c = s.first, c == "T" || c == " " {
            s = s.dropFirst()
            let hms = s.prefix { $0.isNumber || $0 == ":" }
            s = s.dropFirst(hms.count)
            let p = hms.split(separator: ":", omittingEmptySubsequences: false)
            guard p.count >= 2, p.count <= 3, let h = Int64(p[0]), let mi = Int64(p[1]), h < 24, mi < 60 else { return nil }
            let se = p.count == 3 ? Int64(p[2]) : 0
            guard let se, se < 60 else { return nil }
            secs += h * 3600 + mi * 60 + se
            if s.first == "." {
                s = s.dropFirst()
                let digits = s.prefix { $0.isNumber }
                s = s.dropFirst(digits.count)
                guard !digits.isEmpty, digits.count <= 9 else { return nil }
                frac = Int64(digits)!
                fracDigits = digits.count
            }
            if s == "Z" || s == "z" { s = "" }
            else if let sign = s.first, sign == "+" || sign == "-" {
                let tz = s.dropFirst().split(separator: ":")
                guard tz.count >= 1, let th = Int64(tz[0].prefix(2)) else { return nil }
                let tm = tz.count > 1 ? Int64(tz[1]) ?? 0 : (tz[0].count == 4 ? Int64(tz[0].suffix(2)) ?? 0 : 0)
                let off = th * 3600 + tm * 60
                secs -= sign == "+" ? off : -off
                s = ""
            }
        }
        guard s.isEmpty else { return nil }
        var nanos = frac
        for _ in fracDigits ..< 9 { nanos *= 10 }
        let per = unitsPerSecond(unit)
        let (scaled, overflow) = secs.multipliedReportingOverflow(by: per)
        guard !overflow else { return nil }
        return scaled + nanos / (1_000_000_000 / per)
    }
}
