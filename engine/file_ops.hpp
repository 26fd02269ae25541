// The system calls a durable write makes (write, fdatasync, fsync, rename, fallocate), in one
// process-wide table so unit tests can observe them or make them fail (a full disk, a
// crash between write and rename). Production code never changes the table.
#pragma once

#include <cstddef>
#include <cstdio>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

namespace stillroom {

struct FileOps {
    ssize_t (*write)(int fd, const void* data, std::size_t size) = ::write;
    int (*fdatasync)(int fd) = ::fdatasync;
    int (*fsync)(int fd) = ::fsync;
    int (*rename)(const char* from, const char* to) = std::rename;
    int (*fallocate)(int fd, int mode, off_t offset, off_t length) = ::fallocate;
};

// The table in use. Runs on: any thread (tests swap entries before the writes they watch).
inline FileOps& file_ops() {
    static FileOps ops;
    return ops;
}

} // namespace stillroom
