/// A JSON value with ordered object keys and exact 64-bit integers.
///
/// Integers that fit `Int64` parse as ``int``, larger non-negative ones as ``uint``; numbers with a
/// fraction or exponent parse as ``double``.
///
/// `==` compares the way the conformance tests need: numbers by value (an `int` equals a `double`
/// that holds exactly that integer, integers compare exactly), a NaN double equals another NaN and
/// the string `"NaN"` (likewise `"Infinity"`/`"-Infinity"` equal the infinite doubles), arrays
/// element-wise, objects key by key **in order**. Use ``firstDifference(from:ignoringKeyOrder:)``
/// for a located report, or with key order ignored.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A non-negative integer above `Int64.max`.
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// An integer value, normalized to ``int`` when it fits.
    public static func integer(_ v: UInt64) -> JSONValue {
        v <= UInt64(Int64.max) ? .int(Int64(v)) : .uint(v)
    }

    /// A floating-point value; the serializer prints NaN and infinities as the strings
    /// `"NaN"`, `"Infinity"`, `"-Infinity"`.
    public static func number(_ v: Double) -> JSONValue { .double(v) }

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The `i`-th element of an array, or nil.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let a) = self, index >= 0, index < a.count { return a[index] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }

    /// The value as an `Int64` when it is an integer that fits (or a double holding one exactly).
    public var int64Value: Int64? {
        switch self {
        case .int(let v): return v
        case .double(let d): return d.rounded() == d && abs(d) < 9.2e18 ? Int64(d) : nil
        default: return nil
        }
    }

    /// The value as a `Double` for any number (and for the strings "NaN", "Infinity", "-Infinity").
    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .uint(let v): return Double(v)
        case .double(let d): return d
        case .string(let s): return JSONValue.specialDouble(s)
        default: return nil
        }
    }

    static func specialDouble(_ s: String) -> Double? {
        switch s {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return nil
        }
    }

    /// A short name of the kind of value, for messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .uint: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// A JSON object: members in insertion order, keys unique.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral, Sequence {
    public private(set) var keys: [String]
    public private(set) var values: [JSONValue]

    public init() {
        keys = []
        values = []
    }

    /// Members in order; a repeated key keeps its first position and takes the last value.
    public init(_ members: [(String, JSONValue)]) {
        self.init()
        for (k, v) in members { self[k] = v }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public subscript(key: String) -> JSONValue? {
        get { keys.firstIndex(of: key).map { values[$0] } }
        set {
            if let i = keys.firstIndex(of: key) {
                if let newValue { values[i] = newValue } else {
                    keys.remove(at: i)
                    values.remove(at: i)
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    /// Appends a member without checking for a duplicate key (callers that know keys are unique).
    public mutating func append(_ key: String, _ value: JSONValue) {
        keys.append(key)
        values.append(value)
    }

    public func contains(_ key: String) -> Bool { keys.contains(key) }

    public func makeIterator() -> Zip2Sequence<[String], [JSONValue]>.Iterator {
        zip(keys, values).makeIterator()
    }

    /// Object equality with members in order (numbers by value, see ``JSONValue``).
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.keys == b.keys && a.values == b.values
    }
}

extension JSONValue: Equatable {
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x == y
        case let (.string(s), .double(d)), let (.double(d), .string(s)):
            guard let sd = specialDouble(s) else { return false }
            return sd.isNaN ? d.isNaN : sd == d
        default:
            return numbersEqual(a, b)
        }
    }

    private static func numbersEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.int(x), .int(y)): return x == y
        case let (.uint(x), .uint(y)): return x == y
        case (.int, .uint), (.uint, .int): return false  // normalized: a uint is never in Int64 range
        case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.int(i), .double(d)), let (.double(d), .int(i)):
            return d.rounded() == d && d >= -9_223_372_036_854_775_808.0 && d < 9_223_372_036_854_775_808.0
                && Int64(d) == i
        case let (.uint(u), .double(d)), let (.double(d), .uint(u)):
            return d.rounded() == d && d >= 0 && d < 18_446_744_073_709_551_616.0 && UInt64(d) == u
        default: return false
        }
    }

    /// Describes the first place where `self` (the actual value) differs from `expected`, as
    /// `"$.key[3].inner: expected 1.5, got 2.5"`, or nil when they are equal.
    /// With `ignoringKeyOrder`, objects compare as maps (at every depth).
    public func firstDifference(from expected: JSONValue, ignoringKeyOrder: Bool = false,
                                path: String = "$") -> String? {
        switch (expected, self) {
        case let (.array(e), .array(g)):
            for i in 0 ..< min(e.count, g.count) {
                if let d = g[i].firstDifference(from: e[i], ignoringKeyOrder: ignoringKeyOrder, path: "\(path)[\(i)]") {
                    return d
                }
            }
            if e.count != g.count { return "\(path): expected an array of \(e.count) elements, got \(g.count)" }
            return nil
        case let (.object(e), .object(g)):
            if !ignoringKeyOrder && e.keys != g.keys {
                if Set(e.keys) == Set(g.keys) {
                    return "\(path): keys in a different order: expected \(e.keys), got \(g.keys)"
                }
            }
            for (k, ev) in e {
                guard let gv = g[k] else { return "\(path): missing key \"\(k)\" (expected \(ev.serialized()))" }
                if let d = gv.firstDifference(from: ev, ignoringKeyOrder: ignoringKeyOrder, path: "\(path).\(k)") {
                    return d
                }
            }
            for k in g.keys where !e.contains(k) {
                return "\(path): unexpected key \"\(k)\" (value \(g[k]!.serialized()))"
            }
            return nil
        default:
            if expected == self { return nil }
            return "\(path): expected \(expected.serialized().prefixForMessage), got \(self.serialized().prefixForMessage)"
        }
    }
}

extension String {
    fileprivate var prefixForMessage: String { count > 300 ? String(prefix(300)) + "…" : self }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { serialized() }
}
