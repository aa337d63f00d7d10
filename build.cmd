@echo off
rem ActorHttp build helper for Windows. Usage: build.cmd build, test, run or bench [args...]
setlocal EnableExtensions DisableDelayedExpansion
cd /d "%~dp0"

set "DOTNET_CLI_TELEMETRY_OPTOUT=1"
set "DOTNET_NOLOGO=1"
set "DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1"

set "SUBCMD=%~1"
if "%SUBCMD%"=="" goto usage
if /i "%SUBCMD%"=="help"   goto usage
if /i "%SUBCMD%"=="-h"     goto usage
if /i "%SUBCMD%"=="--help" goto usage
if /i "%SUBCMD%"=="build" goto known
if /i "%SUBCMD%"=="test"  goto known
if /i "%SUBCMD%"=="run"   goto known
if /i "%SUBCMD%"=="bench" goto known
echo build.cmd: unknown command '%SUBCMD%' 1>&2
call :print_usage 1>&2
exit /b 2

:known
rem Pass-through args = all args minus the subcommand. Positional args split
rem on the equals sign and SHIFT does not change the all-args variable, hence
rem the substring removal below. Delayed expansion is enabled only after the
rem args were stored, so a filter using != survives, and ARGS is expanded after
rem quote and pipe parsing, so quoted filters with a pipe pass through as-is.
set ARGS=%*
setlocal EnableDelayedExpansion
set "ARGS=!ARGS:*%SUBCMD%=!"
goto %SUBCMD%

:usage
call :print_usage
exit /b 0

:build
dotnet build ActorHttp.sln -c Release -nologo -v q
exit /b %ERRORLEVEL%

:test
if exist "artifacts\test-results" rmdir /s /q "artifacts\test-results"
dotnet build ActorHttp.sln -c Release -nologo -v q
if errorlevel 1 (
  echo build.cmd: build failed 1>&2
  exit /b 1
)
dotnet test ActorHttp.sln -c Release --no-build -m:1 --logger trx --logger "console;verbosity=normal" --results-directory artifacts\test-results --blame-hang-timeout 5m !ARGS!
exit /b %ERRORLEVEL%

:run
dotnet run --project src\ActorHttp.Host -c Release -- --config hocon\standalone.conf !ARGS!
exit /b %ERRORLEVEL%

:bench
rem The micro-benchmarks are plain .NET and run here; the load benchmark drives wrk, httperf and nginx
rem from bash, so it runs inside WSL (which needs its own .NET SDK).
if /i "%~2"=="--micro" (
  dotnet run -c Release --project tests\ActorHttp.Benchmarks -- --filter * --job short --join --artifacts artifacts\bench\micro
  exit /b !ERRORLEVEL!
)
where wsl >nul 2>nul
if errorlevel 1 (
  echo build.cmd: the benchmark needs bash, wrk, httperf and nginx: install WSL, then run build.cmd bench again 1>&2
  echo     ^(build.cmd bench --micro runs the micro-benchmarks without WSL^) 1>&2
  exit /b 1
)
wsl bash ./build.sh bench !ARGS!
exit /b !ERRORLEVEL!

:print_usage
echo Usage: build.cmd ^<command^> [args...]
echo.
echo Commands:
echo   build            dotnet build ActorHttp.sln -c Release
echo   test [args...]   build Release and run all tests (args go to dotnet test,
echo                    e.g. --filter Category=Parser); TRX in artifacts\test-results
echo   run [args...]    run the standalone node (src\ActorHttp.Host) with
echo                    hocon\standalone.conf; args are passed to the node
echo   bench [args...]  benchmark against Kestrel and nginx, through WSL (./build.sh bench);
echo                    bench --micro runs the BenchmarkDotNet micro-benchmarks here
exit /b 0
