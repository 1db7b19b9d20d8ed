extension Zstd {
    /// Compresses `input` into one frame (content size always written; XXH64 checksum if `checksum`).
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int, checksum: Bool) -> [UInt8] {
        fatalError("not yet")
    }
}
