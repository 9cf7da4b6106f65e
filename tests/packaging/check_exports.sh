#!/usr/bin/env bash
# Checks what libcallsignal exports against the CS_API functions of callsignal.h.
#   check_exports.sh only-cs  NM HEADER LIB.so        every dynamic symbol is a declared cs_ function
#   check_exports.sh declared NM HEADER LIB.so LIB.a  every declared cs_ function is defined in both
# OBJDUMP: the objdump to read the SONAME with (default: objdump).
set -euo pipefail
export LC_ALL=C # one sort order for perl, sort and comm

mode=$1 nm=$2 header=$3
shift 3

# The names of the functions the header declares CS_API: comments and preprocessor lines out,
# then the first cs_ name followed by "(" after each CS_API. Each CS_API must yield one name.
declared=$(perl -0777 -ne '
  s{/\*.*?\*/}{}gs; s{//[^\n]*}{}g; s{\\\n}{ }g; s{^[ \t]*#[^\n]*}{}mg;
  my $n = () = /\bCS_API\b/g;
  my @names = /\bCS_API\b[^;{]*?\b(cs_\w+)\s*\(/g;
  die "callsignal.h: $n CS_API, but " . scalar(@names) . " function names found\n" if $n != @names;
  print "$_\n" for sort @names;' "$header")
[ -n "$declared" ] || { echo "no CS_API function found in $header" >&2; exit 1; }

indent() { sed 's/^/  /'; }

# Defined dynamic symbols, without any @version suffix.
dynamic_defined() { "$nm" -D --defined-only "$1" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u; }

status=0
case "$mode" in
  only-cs)
    so=$1
    soname=$("${OBJDUMP:-objdump}" -p "$so" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
    if [ "$soname" != "libcallsignal.so.0" ]; then
      echo "SONAME is '$soname', expected libcallsignal.so.0"
      status=1
    fi
    # What a linker may add to any shared object's dynamic symbol table.
    linker_provided='^(_init|_fini|__bss_start|_edata|_end|__end__|_etext|__data_start|__dso_handle)$'
    exported=$(dynamic_defined "$so" | grep -Ev "$linker_provided" || true)
    stray=$(grep -v '^cs_' <<<"$exported" | grep . || true)
    if [ -n "$stray" ]; then
      echo "$so exports symbols outside the cs_ namespace:"
      indent <<<"$stray"
      status=1
    fi
    undeclared=$(comm -23 <(grep '^cs_' <<<"$exported" || true) <(echo "$declared"))
    if [ -n "$undeclared" ]; then
      echo "$so exports cs_ functions that callsignal.h does not declare:"
      indent <<<"$undeclared"
      status=1
    fi
    [ $status -eq 0 ] && echo "$(grep -c . <<<"$exported" || true) symbols exported, all declared cs_ functions"
    ;;
  declared)
    so=$1 archive=$2
    missing=$(comm -23 <(echo "$declared") <(dynamic_defined "$so"))
    if [ -n "$missing" ]; then
      echo "declared in callsignal.h but not exported by $so:"
      indent <<<"$missing"
      status=1
    fi
    in_archive=$("$nm" --defined-only "$archive" 2>/dev/null | awk '$2 == "T" { print $3 }' | sort -u)
    missing=$(comm -23 <(echo "$declared") <(echo "$in_archive"))
    if [ -n "$missing" ]; then
      echo "declared in callsignal.h but not defined in $archive:"
      indent <<<"$missing"
      status=1
    fi
    [ $status -eq 0 ] && echo "all $(grep -c . <<<"$declared") CS_API functions are defined in both libraries"
    ;;
  *) echo "unknown mode: $mode" >&2; exit 2 ;;
esac
exit $status
