import LanceCLI

await LanceletCommand.main()
