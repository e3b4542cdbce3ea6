/* The least any program can do for an HTTP check: connect to 127.0.0.1:PORT,
 * send one GET, read the first bytes of the answer, exit 0 on "200". No
 * parsing, no timeouts, no output. The benchmark runs it beside the probe to
 * show what the loopback exchange with nginx costs by itself on the machine
 * at hand, the part of the http row that no client can take away. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return 1;
    static const char request[] = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, request, sizeof request - 1) != (ssize_t)(sizeof request - 1)) return 1;
    char answer[64];
    ssize_t n = read(fd, answer, sizeof answer);
    return !(n >= 12 && memcmp(answer + 9, "200", 3) == 0);
}
