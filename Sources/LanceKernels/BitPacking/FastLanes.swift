/// FastLanes bit-packing as Lance lays it out: blocks of 1024 values of an 8/16/32/64-bit type.
public enum FastLanes {
    /// Unpacks one block of 1024 values packed at `bitWidth` bits (`bitWidth * 128` bytes of input).
    public static func unpack<T: FixedWidthInteger & UnsignedInteger>(
        _ packed: UnsafeRawBufferPointer, bitWidth: Int, into out: UnsafeMutableBufferPointer<T>
    ) throws(CodecError) {
        throw CodecError(.unsupported, "bit-unpacking not implemented yet")
    }

    /// Packs 1024 values at `bitWidth` bits into `out` (`bitWidth * 128` bytes).
    public static func pack<T: FixedWidthInteger & UnsignedInteger>(
        _ values: UnsafeBufferPointer<T>, bitWidth: Int, into out: UnsafeMutableRawBufferPointer
    ) {
        fatalError("bit-packing not implemented yet")
    }
}
