import Glibc

// Linux calls the Glibc module does not import (sys/timerfd.h) or imports with an enum type
// that differs between C and C++ modes (getrusage's `who`). Plain C ABIs: ints and pointers
// to structs the module does import.

/// timerfd_create(2).
@_silgen_name("timerfd_create")
func linux_timerfd_create(_ clockID: Int32, _ flags: Int32) -> Int32

/// timerfd_settime(2).
@_silgen_name("timerfd_settime")
func linux_timerfd_settime(_ fd: Int32, _ flags: Int32, _ new: UnsafePointer<itimerspec>, _ old: UnsafeMutablePointer<itimerspec>?) -> Int32

/// getrusage(2); `who` 1 = RUSAGE_THREAD.
@_silgen_name("getrusage")
func linux_getrusage(_ who: Int32, _ usage: UnsafeMutablePointer<rusage>) -> Int32
