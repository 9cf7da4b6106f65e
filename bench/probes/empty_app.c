/* The baseline for footprint.core_linked_kb: a program that links nothing of callsignal. */
#include <stdio.h>

int main(void) {
  puts("callsignal footprint baseline");
  return 0;
}
