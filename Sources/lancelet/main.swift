import LanceCLI

await LanceletCommand.runAndExit()
