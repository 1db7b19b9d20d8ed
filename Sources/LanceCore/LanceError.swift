/// The one public error type of Lancelet.
///
/// Every failure that comes from input (a file, the network, a user string) is thrown as a
/// `LanceError` with a ``Code``, a message that says what is wrong, and the context that locates
/// it: the file path, the column, the byte position. Match on the code:
///
/// ```swift
/// do { _ = try await Dataset.open(uri) }
/// catch let error as LanceError where error.code == .notFound { … }
/// ```
public struct LanceError: Error, Sendable, CustomStringConvertible {
    /// The category of a failure. A struct rather than an enum so that codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The caller passed something invalid (a bad argument, a malformed filter).
        public static let invalidInput = Code("invalidInput")
        /// A dataset, version, tag, column or file does not exist.
        public static let notFound = Code("notFound")
        /// Something that must not exist already does.
        public static let alreadyExists = Code("alreadyExists")
        /// Data does not match the schema it was given or the table's schema.
        public static let schemaMismatch = Code("schemaMismatch")
        /// A file's bytes are not what the format says they must be (truncated, corrupted).
        public static let corruptFile = Code("corruptFile")
        /// Valid input that uses something Lancelet does not implement (encoding, feature flag, version).
        public static let unsupported = Code("unsupported")
        /// A concurrent commit made this one impossible.
        public static let commitConflict = Code("commitConflict")
        /// A concurrent commit happened; retrying may succeed.
        public static let retryableCommitConflict = Code("retryableCommitConflict")
        /// The operating system or object store failed.
        public static let io = Code("io")
        /// The operation was cancelled.
        public static let cancelled = Code("cancelled")
        /// A bug in Lancelet; please report it.
        public static let `internal` = Code("internal")
    }

    public var code: Code
    public var message: String
    /// The file (or object key) the error is about, if any.
    public var path: String?
    /// The column or field the error is about, if any.
    public var column: String?
    /// A byte position in `path`, if known.
    public var position: UInt64?
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, path: String? = nil, column: String? = nil,
                position: UInt64? = nil, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.column = column
        self.position = position
        self.underlying = underlying
    }

    public var description: String {
        var s = "\(code): \(message)"
        if let column { s += " (column `\(column)`)" }
        if let path { s += " [\(path)\(position.map { " @\($0)" } ?? "")]" }
        if let underlying { s += ": \(underlying)" }
        return s
    }

    /// Returns a copy with the file path filled in if it was not set yet.
    public func at(path: String) -> LanceError {
        var e = self
        if e.path == nil { e.path = path }
        return e
    }

    /// Returns a copy with the column filled in if it was not set yet.
    public func at(column: String) -> LanceError {
        var e = self
        if e.column == nil { e.column = column }
        return e
    }

    public static func corrupt(_ message: String, path: String? = nil, position: UInt64? = nil) -> LanceError {
        LanceError(.corruptFile, message, path: path, position: position)
    }

    public static func unsupported(_ message: String, path: String? = nil) -> LanceError {
        LanceError(.unsupported, message, path: path)
    }

    public static func invalid(_ message: String) -> LanceError {
        LanceError(.invalidInput, message)
    }

    public static func notFound(_ message: String, path: String? = nil) -> LanceError {
        LanceError(.notFound, message, path: path)
    }
}

extension LanceError.Code {
    /// Lets callers match an error by code: `catch LanceError.Code.corruptFile`.
    public static func ~= (code: LanceError.Code, error: any Error) -> Bool {
        (error as? LanceError)?.code == code
    }
}
