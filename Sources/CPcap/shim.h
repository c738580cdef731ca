#include <pcap/pcap.h>
// __fsetlocking: a capture file is read by one thread, so its FILE need not lock for every fread.
#include <stdio_ext.h>
