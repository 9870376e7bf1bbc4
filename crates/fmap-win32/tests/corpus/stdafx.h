// stdafx.h: the precompiled-header include of Visual Studio projects.
#pragma once
#define WIN32_LEAN_AND_MEAN
#include <Windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <tchar.h>
#pragma comment(lib, "kernel32.lib")
