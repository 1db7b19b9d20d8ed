/// A set of 32-bit integers with the portable Roaring serialization (as CRoaring and pyroaring write it).
public struct RoaringBitmap: Sendable, Equatable {
    private var values: Set<UInt32> = []

    public init() {}

    public init<S: Sequence>(_ values: S) where S.Element == UInt32 { self.values = Set(values) }

    /// Reads the portable serialization.
    public init(serialized: UnsafeRawBufferPointer) throws(CodecError) {
        throw CodecError(.unsupported, "roaring deserialization not implemented yet")
    }

    public var count: Int { values.count }
    public func contains(_ v: UInt32) -> Bool { values.contains(v) }
    public mutating func insert(_ v: UInt32) { values.insert(v) }
    /// The values in ascending order.
    public var sortedValues: [UInt32] { values.sorted() }

    /// The portable serialization.
    public func serialized() -> [UInt8] { fatalError("roaring serialization not implemented yet") }
}
