/// Why a codec rejected its input. Thrown (typed) by every decoder in this module; never a trap.
public struct CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The input ended before the format said it would.
        case truncated
        /// The input violates the format.
        case corrupt
        /// A declared size is over the caller's limit (no allocation was attempted).
        case limitExceeded
        /// Valid input using a feature this implementation does not support.
        case unsupported
    }

    public var kind: Kind
    public var message: String
    /// Byte offset in the input where the problem was found, when known.
    public var offset: Int?

    public init(_ kind: Kind, _ message: String, offset: Int? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    public var description: String {
        "\(kind.rawValue): \(message)" + (offset.map { " at byte \($0)" } ?? "")
    }
}
