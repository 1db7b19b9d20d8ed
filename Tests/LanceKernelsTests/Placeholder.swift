// Codec tests live beside the vectors in Vectors/.
