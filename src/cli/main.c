#include <stdio.h>
int main(void) { puts("gaitlab"); return 0; }
