/* The sample lab's guest program: proves labs/<id>/guest/*.c are built statically for both
   arches and installed as /opt/labs/<id>/<name> (and on PATH through /opt/labs/bin). */
#include <stdio.h>
#include <sys/utsname.h>

int main(void) {
  struct utsname u;
  uname(&u);
  printf("hello from %s\n", u.machine);
  return 0;
}
