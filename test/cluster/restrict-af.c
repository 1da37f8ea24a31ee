// restrict-af FAMILY,FAMILY,… COMMAND [ARG…]: runs COMMAND with socket(2) allowed only for the
// listed address families (numbers); any other family fails with EAFNOSUPPORT. That is what
// systemd's RestrictAddressFamilies= does: a seccomp filter on socket()'s first argument
// (systemd src/shared/seccomp-util.c, seccomp_restrict_address_families, errno EAFNOSUPPORT).
// test/cluster/deploy-files.test.ts compiles it to run the app with the unit's list.
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "restrict-af: x86_64 and aarch64 only"
#endif
int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: restrict-af FAMILY,… COMMAND [ARG…]\n"); return 2; }
  unsigned fam[32]; int n = 0;
  for (char *s = strtok(argv[1], ","); s && n < 32; s = strtok(NULL, ",")) fam[n++] = (unsigned)atoi(s);
  struct sock_filter f[48]; int i = 0;
  f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 1, 0);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
  for (int k = 0; k < n; k++) {
    // Listed: jump to the ALLOW after the ERRNO at the end (n - k - 1 more tests, then ERRNO).
    f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, fam[k], (unsigned char)(n - k), 0);
  }
  f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EAFNOSUPPORT & SECCOMP_RET_DATA));
  f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = { .len = (unsigned short)i, .filter = f };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) { perror("restrict-af: PR_SET_NO_NEW_PRIVS"); return 1; }
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) { perror("restrict-af: PR_SET_SECCOMP"); return 1; }
  execvp(argv[2], argv + 2);
  perror("restrict-af: exec");
  return 127;
}
