/// FSST string compression with the symbol-table layout Lance writes.
public enum FSST {
    /// Decompresses `offsets.count - 1` strings. `offsets` index into `compressed`. Returns offsets
    /// (starting at 0) into the returned bytes.
    public static func decompress(symbolTable: UnsafeRawBufferPointer, compressed: UnsafeRawBufferPointer,
                                  offsets: [Int]) throws(CodecError) -> (offsets: [Int], bytes: [UInt8]) {
        throw CodecError(.unsupported, "fsst decoder not implemented yet")
    }

    /// Trains a symbol table on the strings and compresses them. `offsets` (n+1) index into `bytes`.
    public static func compress(bytes: UnsafeRawBufferPointer, offsets: [Int])
        -> (symbolTable: [UInt8], offsets: [Int], bytes: [UInt8]) {
        fatalError("fsst encoder not implemented yet")
    }
}
