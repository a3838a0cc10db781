import BacktestCore
import BacktestServer
import Glibc

// One binary, three modes. `supervise` is started detached by the core to own one run; `install` copies the
// binary where clients find it; anything else is the JSON-RPC server talking to one client on stdin/stdout.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "install" {
    exit(InstallCommand.main(arguments: Array(arguments.dropFirst())))
}
if arguments.first == "supervise" {
    exit(SupervisorCommand.main(arguments: Array(arguments.dropFirst()), makeHooks: { StandardHooks.make(layout: $0) }))
}
exit(ServerCommand.main(arguments: arguments))
