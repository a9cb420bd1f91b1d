#!/usr/bin/env python3
"""Writes the labelled classification corpus, tests/classify/<class>/NNN-name.eml.

Every message is defined in MAILS below; the .eml files are this script's
output, committed so that tests need no Python step.  Output is
deterministic (fixed dates and Message-IDs, no randomness): run it again
after editing MAILS and commit the changed files.

    python3 tests/classify/make-corpus.py [--check]

--check writes nothing and exits 1 if any file differs from what the script
would write (or is missing, or is left over).

Naming: the directory is the expected class (a task id of rules/catalogue.conf,
or fault-report, out-of-scope, general).  "neg-" in a name marks a hard
negative: a mail that mentions a task without asking for it.  "two-TASK"
marks a mail that asks for a second task, TASK, which may come out as class
or as second_class.

Encodings: "jis" is ISO-2022-JP (7bit), "sjis" Shift_JIS (8bit or base64),
"utf8" UTF-8 (base64, quoted-printable or 8bit), "ascii" US-ASCII.  Subjects
are RFC 2047 encoded words in the body's charset.  Only Python's standard
library is used.
"""

import base64
import datetime
import email.utils
import os
import quopri
import sys

JST = datetime.timezone(datetime.timedelta(hours=9))
HERE = os.path.dirname(os.path.abspath(__file__))

SUPPORT = "support@example.jp"
FORM = "form@example.jp"
GATEWAY = "Web Form <noreply@form.example.jp>"

CHARSETS = {
    "jis": ("ISO-2022-JP", "iso2022_jp"),
    "sjis": ("Shift_JIS", "shift_jis"),
    "utf8": ("UTF-8", "utf-8"),
    "ascii": ("US-ASCII", "ascii"),
}


def form_body(contract, name, email, phone, kind, server, content):
    """The text the form gateway writes: label: value lines, 内容 last."""
    return ("以下の内容でフォームから送信されました。\n\n"
            "契約ID: %s\nお名前: %s\nメールアドレス: %s\n電話番号: %s\n"
            "依頼種別: %s\n対象サーバー: %s\n内容:\n%s\n"
            % (contract, name, email, phone, kind, server, content))


SIG_JA = ("-- \n株式会社サンプル商事 情報システム部\n山田 太郎\n"
          "TEL: 03-1234-5678\n")
SIG_EN = "-- \nJohn Smith\nExample Trading Ltd.\n"

# (class, name, encoding, transfer-encoding, from, subject, body[, extra])
# extra: dict with "to", "html" (True: send as multipart/alternative with an
# HTML part), "html_only".
MAILS = [
    # ---- reboot -----------------------------------------------------------
    ("reboot", "keigo", "jis", "7bit", "山田 太郎 <yamada@sample-shoji.jp>",
     "サーバー再起動のお願い",
     "いつもお世話になっております。株式会社サンプル商事の山田です。\n\n"
     "契約ID C-10023 のサーバー(web01)ですが、昨夜から動作が不安定なため、\n"
     "リブートをお願いいたします。\n"
     "作業日時は本日中であればいつでも構いません。\n\n"
     "よろしくお願いいたします。\n" + SIG_JA),
    ("reboot", "terse", "utf8", "base64", "ops@example-net.jp",
     "リブート",
     "web02 リブートお願いします。\n"),
    ("reboot", "halfwidth-kana", "sjis", "8bit", "tanaka@kaisha.example",
     "ﾘﾌﾞｰﾄ依頼",
     "ｻｰﾊﾞｰのﾘﾌﾞｰﾄをお願いします。\n契約番号 12345\n田中\n"),
    ("reboot", "en-request", "ascii", "7bit", "John Smith <john@example.com>",
     "Reboot request for server web03",
     "Hi,\n\nPlease reboot our server web03 (contract C-20001). It has\n"
     "become unresponsive to SSH, although it still answers ping.\n\n"
     "Thanks,\n" + SIG_EN),
    ("reboot", "quoted-reply", "jis", "7bit", "suzuki@example.co.jp",
     "Re: [support#120] パスワード初期化完了のお知らせ",
     "ご対応ありがとうございました。\n"
     "続けて、同じサーバーのリブートもお願いできますでしょうか。\n\n"
     "2024年5月10日(金) 15:02 サポート <support@example.jp>:\n"
     "> 鈴木様\n"
     "> パスワード初期化の作業が完了しましたのでお知らせいたします。\n"
     "> 追加のご依頼がございましたらお知らせください。\n"),
    ("reboot", "vm-keigo-qp", "utf8", "quoted-printable",
     "佐藤 花子 <sato@example.org>",
     "仮想マシンの再起動について",
     "お世話になっております。\n"
     "仮想マシン vm-003 の再起動を実施していただけますでしょうか。\n"
     "よろしくお願い申し上げます。\n"),
    ("reboot", "fullwidth", "jis", "7bit", "kato@example.ne.jp",
     "リブート作業依頼（ＩＤ：ＡＢ１２３）",
     "契約ＩＤ：ＡＢ１２３\nサーバーのリブート作業をお願いします。\n"
     "対象：ＷＥＢ０４\n"),
    ("reboot", "en-terse", "ascii", "7bit", "admin@example.io",
     "reboot pls",
     "db01 hung, reboot please\n"),
    ("reboot", "fault-plus-request", "sjis", "base64",
     "itou@example.co.jp", "至急",
     "サーバーが応答しません。至急リブートをお願いします。\n"
     "契約ID: C-30011\n"),
    ("reboot", "form", "utf8", "8bit", GATEWAY,
     "【お問い合わせフォーム】作業のご依頼",
     form_body("C-10023", "山田 太郎", "yamada@sample-shoji.jp",
               "03-1234-5678", "リブート代行", "web01",
               "メモリ使用量が高止まりしているため、\n再起動をお願いします。"),
     {"to": FORM}),
    ("reboot", "html-alternative", "utf8", "base64",
     "Nakamura <nakamura@example.jp>",
     "サーバーリブートのお願い",
     "中村です。\napp03 のサーバーをリブートしていただけますか。\n"
     "本日18時以降でお願いします。\n",
     {"html": True}),

    # ---- remote-access-recovery ------------------------------------------
    ("remote-access-recovery", "iptables", "jis", "7bit",
     "kimura@example.co.jp", "リモートアクセス復旧代行の依頼",
     "お世話になっております。木村です。\n"
     "iptablesの設定を誤り、SSHで接続できなくなってしまいました。\n"
     "リモートアクセスの復旧作業をお願いいたします。\n"
     "対象サーバー: web06\n"),
    ("remote-access-recovery", "firewall-rdp", "utf8", "base64",
     "hayashi@example.jp", "リモートデスクトップに接続できない",
     "ファイアウォールの設定変更後、リモートデスクトップに接続できません。\n"
     "コンソールから設定を戻していただけないでしょうか。\n"
     "サーバーは win02 です。\n"),
    ("remote-access-recovery", "en-locked-out", "ascii", "7bit",
     "Mike Brown <mike@example.net>", "Locked out of SSH",
     "Hello,\n\nI locked myself out of our server app02 after changing the\n"
     "iptables rules. Could you restore remote access via the console?\n\n"
     "Mike\n"),
    ("remote-access-recovery", "sshd", "sjis", "8bit",
     "shimizu@example.ne.jp", "SSHに入れなくなりました",
     "sshdの設定ファイルを編集したら、SSHでログインできなくなりました。\n"
     "リモートアクセス復旧をお願いします。\n"),
    ("remote-access-recovery", "form", "jis", "7bit", GATEWAY,
     "【お問い合わせフォーム】作業のご依頼",
     form_body("C-40022", "山本 一郎", "yamamoto@example.jp",
               "06-1111-2222", "リモートアクセス復旧代行", "db03",
               "ポート番号を変更したところ接続できなくなりました。"),
     {"to": FORM}),
    ("remote-access-recovery", "en-rdp", "utf8", "quoted-printable",
     "ops-team@example.com", "Remote access recovery request",
     "Please carry out remote access recovery for server app05; the RDP\n"
     "port was blocked by Windows Firewall by mistake.\n"),

    # ---- password-reset ---------------------------------------------------
    ("password-reset", "root-lost", "jis", "7bit", "mori@example.co.jp",
     "rootパスワード初期化のお願い",
     "いつもお世話になっております。\n"
     "rootのパスワードを失念してしまいました。\n"
     "パスワードの初期化をお願いいたします。\n"
     "対象: web05 (契約ID C-50001)\n" + SIG_JA),
    ("password-reset", "en-admin", "ascii", "7bit",
     "it@example.org", "Password reset request",
     "Please reset the Administrator password of our Windows server win01.\n"
     "We lost it after a staff change.\n"),
    ("password-reset", "keigo", "sjis", "8bit", "ikeda@example.jp",
     "パスワード初期化代行の依頼",
     "管理者パスワードの初期化を依頼いたします。\n対象: web05\n池田\n"),
    ("password-reset", "halfwidth-hiragana", "sjis", "base64",
     "ogawa@example.jp", "ﾊﾟｽﾜｰﾄﾞ",
     "rootのﾊﾟｽﾜｰﾄﾞの初期化をおねがいします。\nｻｰﾊﾞｰ: web08\n"),
    ("password-reset", "form-task-id", "utf8", "base64", GATEWAY,
     "[form] request",
     form_body("C-50002", "Ken Ito", "ken@example.com", "090-0000-1111",
               "password-reset", "web09", "Root password is lost."),
     {"to": FORM}),
    ("password-reset", "en-quoted-reply", "ascii", "7bit",
     "John Smith <john@example.com>", "Re: Your server",
     "Thanks. Actually, could you also reset the root password? We cannot\n"
     "log in as root any more.\n\n"
     "On Tue, 14 May 2024 at 10:00, Support <support@example.jp> wrote:\n"
     "> The reboot of web03 was completed at 09:55.\n"
     "> Please let us know if you need a reboot again.\n"),
    ("password-reset", "two-reboot", "jis", "7bit", "fujii@example.jp",
     "作業依頼",
     "rootのパスワード初期化と、その後のリブートをお願いいたします。\n"
     "対象はweb11です。\n"),

    # ---- os-reinstall -----------------------------------------------------
    ("os-reinstall", "keigo", "jis", "7bit", "okada@example.co.jp",
     "OSクリーンインストールのお願い",
     "お世話になっております。\n"
     "サーバー(web07)のOSクリーンインストールをお願いいたします。\n"
     "OSはCentOS 7のままで結構です。\n"),
    ("os-reinstall", "fullwidth", "utf8", "base64", "goto@example.jp",
     "ＯＳ再インストール依頼",
     "ＯＳの再インストールを実施してください。データは不要です。\n"),
    ("os-reinstall", "en", "ascii", "7bit", "Sarah Lee <sarah@example.com>",
     "OS reinstall",
     "Hi,\n\nWe'd like to request a clean install of the OS on db02.\n"
     "All data on it can be erased.\n\nRegards,\nSarah\n"),
    ("os-reinstall", "compromised", "sjis", "8bit", "endo@example.jp",
     "サーバー初期化の依頼",
     "不正アクセスの疑いがあるため、OSを初期状態に戻す\n"
     "(クリーンインストール)作業を依頼します。\n"),
    ("os-reinstall", "form", "jis", "7bit", GATEWAY,
     "【お問い合わせフォーム】作業のご依頼",
     form_body("C-60001", "青木 次郎", "aoki@example.jp", "03-2222-3333",
               "OSクリーンインストール代行", "web12",
               "OSはAlmaLinux 9でお願いします。"),
     {"to": FORM}),
    ("os-reinstall", "en-terse", "ascii", "7bit", "root@example.dev",
     "reinstall",
     "reinstall os on web09 please\n"),

    # ---- vm-image-restore -------------------------------------------------
    ("vm-image-restore", "keigo", "jis", "7bit", "murata@example.jp",
     "仮想OSイメージファイル復旧の依頼",
     "仮想マシン vm-12 を仮想OSイメージファイルから復旧していただきたく、\n"
     "ご依頼いたします。\n"),
    ("vm-image-restore", "wont-boot", "utf8", "base64", "nishida@example.jp",
     "VMが起動しません",
     "仮想マシンが起動しなくなったので、OSイメージからの復元をお願いします。\n"),
    ("vm-image-restore", "en", "ascii", "7bit", "ops@example.com",
     "VM image restore",
     "Please restore VM vm-22 from its OS image file.\n"),
    ("vm-image-restore", "form", "utf8", "8bit", GATEWAY,
     "【お問い合わせフォーム】作業のご依頼",
     form_body("C-70001", "松本 三郎", "matsumoto@example.jp",
               "052-000-1111", "仮想OSイメージファイル復旧<仮想マシン>",
               "vm-05", "よろしくお願いします。"),
     {"to": FORM}),
    ("vm-image-restore", "sjis", "sjis", "8bit", "ueda@example.jp",
     "VMのイメージ復旧",
     "仮想OSイメージの復旧作業をお願いいたします。対象はvm-05です。\n"),

    # ---- service-monitoring-change ---------------------------------------
    ("service-monitoring-change", "add-https", "jis", "7bit",
     "yamada@sample-shoji.jp", "サービス監視設定変更のお願い",
     "サービス監視の監視対象にHTTPSを追加してください。\n"
     "対象サーバー: web01\n" + SIG_JA),
    ("service-monitoring-change", "en", "ascii", "7bit",
     "john@example.com", "Change service monitoring",
     "Please add port 8443 to the service monitoring of web01 and remove\n"
     "FTP from it.\n"),
    ("service-monitoring-change", "sjis", "sjis", "8bit",
     "hasegawa@example.jp", "監視項目の変更",
     "サービス監視でFTPを監視対象から削除し、SMTPを追加するよう\n"
     "設定変更をお願いします。\n"),
    ("service-monitoring-change", "form", "jis", "7bit", GATEWAY,
     "【お問い合わせフォーム】作業のご依頼",
     form_body("C-10023", "山田 太郎", "yamada@sample-shoji.jp",
               "03-1234-5678", "サービス監視 設定項目変更", "web01",
               "POP3の監視をIMAPに切り替えてください。"),
     {"to": FORM}),
    ("service-monitoring-change", "en-outlook-quote", "utf8",
     "quoted-printable", "Anna <anna@example.eu>",
     "RE: monitoring",
     "Please change the HTTP check URL for service monitoring to /health.\n"
     "\n-----Original Message-----\nFrom: Support <support@example.jp>\n"
     "Subject: monitoring\n\n"
     "Process/resource monitoring can also be excluded during maintenance.\n"),
    ("service-monitoring-change", "url", "utf8", "base64",
     "kondo@example.jp", "HTTP監視のURLを変更したい",
     "サービス監視で監視しているHTTPのURLを /index.html から /status に\n"
     "変更をお願いします。\n"),

    # ---- service-monitoring-exclusion ------------------------------------
    ("service-monitoring-exclusion", "maintenance", "jis", "7bit",
     "yamada@sample-shoji.jp", "サービス監視除外設定のお願い",
     "メンテナンスのため、5月20日 22:00〜24:00 の間、\n"
     "サービス監視(HTTP)を除外設定してください。\n"),
    ("service-monitoring-exclusion", "en", "ascii", "7bit",
     "john@example.com", "Suspend service monitoring during maintenance",
     "Please exclude HTTP and SMTP from service monitoring between 01:00\n"
     "and 03:00 JST on 2 June.\n"),
    ("service-monitoring-exclusion", "pause", "sjis", "8bit",
     "kobayashi@example.jp", "サービス監視の一時停止",
     "作業のため、明日10時から12時までサービス監視を一時停止してください。\n"),
    ("service-monitoring-exclusion", "form", "utf8", "base64", GATEWAY,
     "【お問い合わせフォーム】作業のご依頼",
     form_body("C-10023", "山田 太郎", "yamada@sample-shoji.jp",
               "03-1234-5678", "サービス監視 除外設定", "web01",
               "6/1 2:00-4:00 の間、HTTPとHTTPSを除外してください。"),
     {"to": FORM}),
    ("service-monitoring-exclusion", "terse", "utf8", "8bit",
     "ops@example-net.jp", "監視除外",
     "サービス監視 除外 お願いします 6/1 2:00-4:00 web02\n"),

    # ---- resource-monitoring-change --------------------------------------
    ("resource-monitoring-change", "disk-threshold", "jis", "7bit",
     "inoue@example.jp", "リソース監視の閾値変更",
     "プロセス・リソース監視のディスク使用率のしきい値を80%から90%に\n"
     "変更してください。\n"),
    ("resource-monitoring-change", "en", "ascii", "7bit",
     "it@example.org", "Resource monitoring threshold change",
     "Please raise the CPU usage threshold of our process/resource\n"
     "monitoring to 95%.\n"),
    ("resource-monitoring-change", "add-process", "sjis", "8bit",
     "saito@example.jp", "プロセス監視の追加",
     "プロセス・リソース監視の監視対象プロセスに mysqld を追加してください。\n"),
    ("resource-monitoring-change", "form", "jis", "7bit", GATEWAY,
     "【お問い合わせフォーム】作業のご依頼",
     form_body("C-80001", "石井 四郎", "ishii@example.jp", "03-3333-4444",
               "プロセス・リソース監視 監視設定項目変更", "db01",
               "メモリ使用率の閾値を85%にしてください。"),
     {"to": FORM}),
    ("resource-monitoring-change", "memory", "utf8", "base64",
     "ogawa@example.jp", "メモリ監視の設定変更",
     "リソース監視でメモリ使用率のアラート閾値を変更したいです。\n"
     "現在の85%を90%にお願いします。\n"),

    # ---- resource-monitoring-exclusion -----------------------------------
    ("resource-monitoring-exclusion", "batch", "jis", "7bit",
     "inoue@example.jp", "リソース監視除外のお願い",
     "バッチ処理でCPU負荷が上がるため、毎晩2時〜4時の間、\n"
     "プロセス・リソース監視から除外してください。\n"),
    ("resource-monitoring-exclusion", "en", "ascii", "7bit",
     "it@example.org", "Exclude from resource monitoring",
     "Please exclude the disk usage check of /backup from process/resource\n"
     "monitoring until further notice.\n"),
    ("resource-monitoring-exclusion", "temporary", "utf8", "quoted-printable",
     "sakamoto@example.jp", "プロセス監視の除外設定",
     "プロセス監視の対象から httpd を一時的に外してください。\n"
     "作業は明日までの予定です。\n"),
    ("resource-monitoring-exclusion", "form", "sjis", "8bit", GATEWAY,
     "【お問い合わせフォーム】作業のご依頼",
     form_body("C-80001", "石井 四郎", "ishii@example.jp", "03-3333-4444",
               "プロセス・リソース監視 除外設定", "db01",
               "明日9時から12時まで除外をお願いします。"),
     {"to": FORM}),

    # ---- process-restart-change ------------------------------------------
    ("process-restart-change", "add-postfix", "jis", "7bit",
     "maeda@example.jp", "プロセス再起動設定の変更",
     "プロセス再起動代行の対象に postfix を追加してください。\n"),
    ("process-restart-change", "en", "ascii", "7bit", "ops@example.com",
     "Process restart settings",
     "Please change the process restart settings so that httpd is\n"
     "restarted automatically when it stops.\n"),
    ("process-restart-change", "remove-named", "sjis", "8bit",
     "fujita@example.jp", "自動再起動の設定変更",
     "プロセス停止時の自動再起動の対象から named を削除してください。\n"),
    ("process-restart-change", "form", "utf8", "base64", GATEWAY,
     "【お問い合わせフォーム】作業のご依頼",
     form_body("C-90001", "岡本 五郎", "okamoto@example.jp", "03-4444-5555",
               "プロセス再起動 設定項目変更", "web13",
               "sshdを再起動対象に加えてください。"),
     {"to": FORM}),
    ("process-restart-change", "retry-count", "utf8", "8bit",
     "nakano@example.jp", "再起動設定項目変更のお願い",
     "再起動設定項目の変更をお願いします。\n"
     "監視対象プロセスが停止した際の再起動回数を3回にしてください。\n"),

    # ---- ping-monitoring-change ------------------------------------------
    ("ping-monitoring-change", "interval", "jis", "7bit",
     "tamura@example.jp", "ping監視の設定変更",
     "VM監視パッケージのping監視で、監視間隔を5分に変更してください。\n"),
    ("ping-monitoring-change", "en", "ascii", "7bit", "ops@example.com",
     "Ping monitoring change",
     "Please change the ping monitoring target IP of vm-07 to 203.0.113.10.\n"),
    ("ping-monitoring-change", "form", "utf8", "base64", GATEWAY,
     "【お問い合わせフォーム】作業のご依頼",
     form_body("C-70001", "松本 三郎", "matsumoto@example.jp",
               "052-000-1111", "ping監視 設定項目変更", "vm-05",
               "監視先IPアドレスを変更したいです。"),
     {"to": FORM}),
    ("ping-monitoring-change", "fullwidth", "jis", "7bit",
     "kudo@example.jp", "ＰＩＮＧ監視設定変更",
     "ＰＩＮＧ監視の監視対象ＩＰアドレスを変更してください。\n"
     "新しいアドレス：１９８．５１．１００．２０\n"),

    # ---- ping-monitoring-exclusion ---------------------------------------
    ("ping-monitoring-exclusion", "network-work", "jis", "7bit",
     "tamura@example.jp", "ping監視除外のお願い",
     "ネットワーク機器の交換作業のため、6月3日 9時から11時まで\n"
     "ping監視を除外してください。\n"),
    ("ping-monitoring-exclusion", "en", "ascii", "7bit", "ops@example.com",
     "Pause ping monitoring",
     "We will shut down vm-11 for maintenance tonight; please exclude it\n"
     "from ping monitoring from 20:00 to 23:00.\n"),
    ("ping-monitoring-exclusion", "form", "jis", "7bit", GATEWAY,
     "【お問い合わせフォーム】作業のご依頼",
     form_body("C-70001", "松本 三郎", "matsumoto@example.jp",
               "052-000-1111", "ping監視 除外設定", "vm-05",
               "停止作業の間だけお願いします。"),
     {"to": FORM}),
    ("ping-monitoring-exclusion", "sjis", "sjis", "8bit",
     "kubo@example.jp", "ping監視停止依頼",
     "仮想マシンの停止作業に伴い、ping監視を一時停止してください。\n"),

    # ---- fault-report -----------------------------------------------------
    ("fault-report", "cannot-connect", "jis", "7bit",
     "yamada@sample-shoji.jp", "サーバーに接続できません",
     "本日10時頃からWebサイトが表示されず、サーバーにも接続できません。\n"
     "確認をお願いします。\n"),
    ("fault-report", "en-down", "ascii", "7bit", "john@example.com",
     "URGENT: server down",
     "Our server web01 is down since 03:00. Ping does not respond.\n"),
    ("fault-report", "mail-stopped", "sjis", "8bit", "kimura@example.co.jp",
     "障害発生",
     "メールの送受信ができなくなっています。\n"
     "サーバーが応答していないようです。\n"),
    ("fault-report", "timeout", "utf8", "base64", "web@example.jp",
     "サイトが見られない",
     "ホームページにアクセスするとタイムアウトになります。\n"),
    ("fault-report", "en-connect", "ascii", "7bit", "mike@example.net",
     "Cannot connect to server",
     "We cannot connect to our server 203.0.113.5 at all, neither HTTP nor\n"
     "SSH. Please check.\n"),
    ("fault-report", "halfwidth", "sjis", "base64", "tanaka@kaisha.example",
     "ｻｰﾊﾞｰﾀﾞｳﾝ",
     "ｻｰﾊﾞｰがﾀﾞｳﾝしているようです。至急確認してください。\n"),
    ("fault-report", "quoted-maintenance", "jis", "7bit",
     "suzuki@example.co.jp", "Re: [support#88] メンテナンスのお知らせ",
     "メンテナンス後からサーバーが応答しません。\n\n"
     "鈴木さんは書きました:\n"
     "> メンテナンス作業を下記日程で実施します。\n"
     "> 作業中はリブートが発生します。\n"),
    ("fault-report", "form", "utf8", "base64", GATEWAY,
     "【お問い合わせフォーム】障害のご連絡",
     form_body("C-10023", "山田 太郎", "yamada@sample-shoji.jp",
               "03-1234-5678", "障害連絡", "web01",
               "サイトが表示されません。"),
     {"to": FORM}),
    ("fault-report", "en-network", "utf8", "quoted-printable",
     "noc@example.com", "Network outage?",
     "Since about 14:10 all our servers in your data centre are\n"
     "unreachable. Is there a network failure?\n"),
    ("fault-report", "neg-reboot-needed", "jis", "7bit",
     "sato@example.org", "サーバー停止",
     "サーバーがダウンしているようです。\n"
     "再起動が必要かどうか調査してください。\n"),
    ("fault-report", "neg-en-after-reboot", "ascii", "7bit",
     "admin@example.io", "Server not responding after reboot",
     "We rebooted the server ourselves at 09:00 and it has not come back.\n"
     "It does not answer ping.\n"),

    # ---- out-of-scope -----------------------------------------------------
    ("out-of-scope", "wordpress-login", "jis", "7bit", "blog@example.jp",
     "WordPressのログインについて",
     "WordPressの管理画面にログインできなくなりました。\n"
     "どうすればよいでしょうか。\n"),
    ("out-of-scope", "en-htaccess", "ascii", "7bit", "dev@example.com",
     ".htaccess redirect",
     "How do I redirect http to https with .htaccess on our Apache?\n"),
    ("out-of-scope", "php-version", "sjis", "8bit", "dev@example.jp",
     "PHPのバージョンアップ",
     "PHPを7.4から8.1にアップデートする方法を教えてください。\n"),
    ("out-of-scope", "mail-client", "utf8", "base64", "soumu@example.jp",
     "メールソフトの設定方法",
     "Outlookでのメールアカウントの設定方法を教えてください。\n"),
    ("out-of-scope", "en-mysql", "ascii", "7bit", "dba@example.com",
     "MySQL slow queries",
     "Our MySQL database is very slow. Can you tune my.cnf for us?\n"),
    ("out-of-scope", "ssl-cert", "jis", "7bit", "web@example.jp",
     "SSL証明書のインストール",
     "購入したSSL証明書をApacheに設定する手順を教えていただけますか。\n"),
    ("out-of-scope", "neg-wordpress-password", "utf8", "base64",
     "blog@example.jp", "WordPressのパスワードを忘れました",
     "WordPressの管理者パスワードを忘れてしまいました。\n"
     "初期化をお願いできますか。\n"),
    ("out-of-scope", "neg-apache-after-reboot", "jis", "7bit",
     "web@example.jp", "再起動後にApacheが起動しない",
     "サーバーを再起動したところ、Apacheが起動しなくなりました。\n"
     "httpd.confの設定を見ていただけますか。\n"),
    ("out-of-scope", "neg-en-cms-reinstall", "ascii", "7bit",
     "dev@example.com", "PHP mail() broken",
     "After we reinstalled our CMS, the PHP mail() function stopped\n"
     "working. How can we fix it?\n"),
    ("out-of-scope", "cron", "utf8", "quoted-printable", "dev@example.jp",
     "cronの設定",
     "crontabで毎日バックアップを取るスクリプトを動かしたいのですが、\n"
     "書き方を教えてください。\n"),

    # ---- general -----------------------------------------------------------
    ("general", "neg-reboot-price", "jis", "7bit", "yamada@sample-shoji.jp",
     "リブート代行の料金について",
     "リブート代行を依頼した場合の料金を教えてください。\n" + SIG_JA),
    ("general", "neg-en-reinstall-cost", "ascii", "7bit",
     "sarah@example.com", "OS reinstall pricing",
     "How much does an OS reinstall cost? We are considering it for next\n"
     "month.\n"),
    ("general", "neg-password-procedure", "sjis", "8bit", "ikeda@example.jp",
     "パスワード初期化の手順",
     "パスワード初期化の手順を知りたいです。\n"
     "どのように依頼すればよいでしょうか。\n"),
    ("general", "neg-service-monitoring-ports", "utf8", "base64",
     "kondo@example.jp", "サービス監視について",
     "サービス監視ではどのようなポートを監視できますか。\n"),
    ("general", "neg-reboot-thanks", "jis", "7bit", "nakamura@example.jp",
     "リブート作業のお礼",
     "昨日はリブート作業をしていただきありがとうございました。\n"
     "無事に復旧しました。今後ともよろしくお願いいたします。\n"),
    ("general", "neg-en-image-restore-what", "ascii", "7bit",
     "ops@example.com", "VM image restore - what is it?",
     "Could you explain what the virtual OS image file restore includes\n"
     "and how long it takes?\n"),
    ("general", "invoice-address", "utf8", "base64", "keiri@example.jp",
     "請求書の送付先変更",
     "請求書の送付先住所を変更したいです。手続きを教えてください。\n"),
    ("general", "en-renewal", "ascii", "7bit", "finance@example.com",
     "Contract renewal",
     "When does our contract expire and how do we renew it?\n"),
    ("general", "neg-ping-standard", "jis", "7bit", "tamura@example.jp",
     "ping監視は標準ですか",
     "ping監視は標準サービスに含まれていますか。設定変更はできますか。\n"),
    ("general", "neg-maintenance-alerts", "utf8", "quoted-printable",
     "kobayashi@example.jp", "メンテナンス時の監視について",
     "来週のメンテナンス工事の間、監視アラートは届きますか?\n"),
    ("general", "neg-en-resource-alert", "ascii", "7bit", "it@example.org",
     "Why did we get a resource monitoring alert?",
     "We received a resource monitoring alert about CPU usage last night.\n"
     "What does it mean? Do we need to change anything?\n"),
    ("general", "contact-change", "sjis", "8bit", "soumu@example.jp",
     "担当者変更のご連絡",
     "弊社の技術担当者が変更となりましたのでご連絡いたします。\n"
     "新担当: 佐藤 (sato@example.jp)\n"),
    ("general", "neg-reinstall-possible", "jis", "7bit", "okada@example.co.jp",
     "OSの再インストールは可能ですか",
     "現在CentOS 7を利用していますが、AlmaLinuxへの再インストールは\n"
     "可能でしょうか。可能な場合の費用も教えてください。\n"),
    ("general", "neg-en-process-restart-what", "ascii", "7bit",
     "ops@example.com", "What is the process restart service?",
     "What exactly does the process restart service do, and is it included\n"
     "in our contract?\n"),
    ("general", "neg-quoted-estimate", "jis", "7bit", "okada@example.co.jp",
     "Re: お見積りの件",
     "ありがとうございます。社内で検討いたします。\n\n"
     "> 見積書を添付いたします。\n"
     "> OSクリーンインストール代行: 30,000円\n"
     "> リブート代行: 10,000円\n"),
    ("general", "neg-en-password-procedure", "ascii", "7bit",
     "it@example.org", "Password reset procedure",
     "What is the procedure to request a password reset for our server?\n"),
    ("general", "neg-forwarded-reboot", "utf8", "base64", "boss@example.jp",
     "Fwd: 作業完了のお知らせ",
     "参考までに転送します。\n\n"
     "---------- Forwarded message ---------\n"
     "From: サポート <support@example.jp>\n"
     "Subject: 作業完了のお知らせ\n\n"
     "リブート作業が完了しました。\n"
     "追加のリブートが必要な場合はお申し付けください。\n"),
]

# Messages with a second task (name contains "two-") that has no pair above.
MAILS += [
    ("reboot", "two-os-reinstall", "ascii", "7bit", "root@example.dev",
     "Two requests",
     "Please reboot web01 today, and afterwards please reinstall the OS on\n"
     "web02.\n"),
]


def encode_words(text, mime_cs, codec):
    """RFC 2047 B-encoded words, each holding whole characters."""
    if all(ord(c) < 128 for c in text):
        return text
    words, chunk = [], ""
    for c in text:
        trial = chunk + c
        if len(base64.b64encode(trial.encode(codec))) > 40 and chunk:
            words.append(chunk)
            chunk = c
        else:
            chunk = trial
    if chunk:
        words.append(chunk)
    return "\n ".join("=?%s?B?%s?=" % (
        mime_cs, base64.b64encode(w.encode(codec)).decode("ascii"))
        for w in words)


def encode_from(frm, mime_cs, codec):
    """Encodes only the display name of "Name <addr>"."""
    if "<" not in frm:
        return frm
    name, addr = frm.split("<", 1)
    return "%s <%s" % (encode_words(name.strip(), mime_cs, codec), addr)


def encode_body(text, codec, cte):
    raw = text.encode(codec)
    if cte == "base64":
        b = base64.encodebytes(raw)
    elif cte == "quoted-printable":
        b = quopri.encodestring(raw)
        if not b.endswith(b"\n"):
            b += b"\n"
    else:
        b = raw if raw.endswith(b"\n") else raw + b"\n"
    return b


def html_of(text):
    lines = [l.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
             for l in text.rstrip("\n").split("\n")]
    return "<html><body>\n<p>" + "<br>\n".join(lines) + "</p>\n</body></html>\n"


def build(i, mail):
    cls, name, enc, cte, frm, subject, body = mail[:7]
    extra = mail[7] if len(mail) > 7 else {}
    mime_cs, codec = CHARSETS[enc]
    to = extra.get("to", SUPPORT)
    if enc == "jis" and cte != "7bit":
        raise ValueError("%s: ISO-2022-JP is sent 7bit" % name)
    if enc == "ascii" and cte not in ("7bit", "quoted-printable"):
        raise ValueError("%s: ASCII is sent 7bit" % name)
    day = 1 + i // 24
    hour = i % 24
    head = [
        "Return-Path: <%s>" % (frm.split("<")[-1].rstrip(">")),
        "From: %s" % encode_from(frm, mime_cs, codec),
        "To: %s" % to,
        "Subject: %s" % encode_words(subject, mime_cs, codec),
        "Date: %s" % email.utils.format_datetime(datetime.datetime(
            2024, 6, day, hour, i % 60, tzinfo=JST)),
        "Message-ID: <corpus-%03d.%s@classify.example>" % (i, name),
        "MIME-Version: 1.0",
    ]
    out = "\n".join(head).encode("ascii") + b"\n"
    if extra.get("html"):
        boundary = "=_corpus_%03d" % i
        out += ("Content-Type: multipart/alternative; boundary=\"%s\"\n\n"
                "This is a multi-part message in MIME format.\n\n"
                % boundary).encode("ascii")
        for ctype, text in (("text/plain", body), ("text/html", html_of(body))):
            out += ("--%s\nContent-Type: %s; charset=%s\n"
                    "Content-Transfer-Encoding: %s\n\n"
                    % (boundary, ctype, mime_cs, cte)).encode("ascii")
            out += encode_body(text, codec, cte) + b"\n"
        out += ("--%s--\n" % boundary).encode("ascii")
    else:
        out += ("Content-Type: text/plain; charset=%s\n"
                "Content-Transfer-Encoding: %s\n\n"
                % (mime_cs, cte)).encode("ascii")
        out += encode_body(body, codec, cte)
    return cls, "%03d-%s.eml" % (i, name), out


def main():
    check = "--check" in sys.argv[1:]
    want = {}
    for i, mail in enumerate(MAILS, 1):
        cls, fname, data = build(i, mail)
        want[os.path.join(cls, fname)] = data
    have = set()
    for d in sorted(os.listdir(HERE)):
        full = os.path.join(HERE, d)
        if os.path.isdir(full):
            for f in os.listdir(full):
                if f.endswith(".eml"):
                    have.add(os.path.join(d, f))
    differ = []
    for rel, data in sorted(want.items()):
        path = os.path.join(HERE, rel)
        try:
            with open(path, "rb") as f:
                same = f.read() == data
        except FileNotFoundError:
            same = False
        if same:
            continue
        differ.append(rel)
        if not check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
    stale = sorted(have - set(want))
    for rel in stale:
        differ.append(rel + " (not in MAILS)")
        if not check:
            os.unlink(os.path.join(HERE, rel))
    if check:
        for rel in differ:
            print("differs: %s" % rel)
        return 1 if differ else 0
    print("%d messages, %d written or removed" % (len(want), len(differ)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
