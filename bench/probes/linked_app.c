/* footprint.core_linked_kb: the same program with the whole of libcallsignal.a linked in
 * (--whole-archive, so every object counts, as in an app that uses the whole API). */
#include <stdio.h>

#include <callsignal/callsignal.h>

int main(void) {
  puts(cs_version());
  return 0;
}
