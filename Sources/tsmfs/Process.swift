import Glibc

/// A program that could not be started; `errno` says why (ENOENT: not found).
struct SpawnError: Error, CustomStringConvertible {
    var program: String
    var errno: Int32
    var description: String { "cannot run \(program): \(systemError(errno))" }

    /// The shell's exit status for it: 127 for a missing program, 126 for one that cannot run.
    var exitStatus: Int32 { errno == ENOENT ? 127 : 126 }
}

/// Runs a program found on PATH, with this process's stdio, and returns its exit status.
func runProgram(_ program: String, _ arguments: [String], passing descriptors: [(Int32, Int32)] = []) throws -> Int32 {
    let argv = ([program] + arguments).map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    // `descriptors` (from, to) are dup2'ed into the child, the only way anything but argv crosses.
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for (from, to) in descriptors { posix_spawn_file_actions_adddup2(&actions, from, to) }
    var pid: pid_t = 0
    let result = posix_spawnp(&pid, program, &actions, nil, argv, environ)
    guard result == 0 else { throw SpawnError(program: program, errno: result) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// The path of the running executable.
func currentExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    return length > 0 ? buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : CommandLine.arguments[0]
}
